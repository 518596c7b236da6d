import { context, type Span, SpanStatusCode } from '@opentelemetry/api';

/** How a failed call marks its span; the default records the exception with ERROR status. */
export type SpanErrorRecorder = (span: Span, error: unknown) => void;

/**
 * Marks a span as failed by `error` (an exception event and ERROR status), leaving the error
 * itself untouched.
 *
 * @example
 * catch (error) { recordError(span, error); throw error; }
 */
export function recordError(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  else span.recordException({ name: 'Error', message: String(error) });
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

interface ObservableLike {
  subscribe(observer: { next(value: unknown): void; error(error: unknown): void; complete(): void }): {
    unsubscribe(): void;
  };
  lift: unknown;
}

type ObservableConstructor = new (
  subscribe: (subscriber: {
    next(v: unknown): void;
    error(e: unknown): void;
    complete(): void;
  }) => () => void,
) => unknown;

function isObservable(value: object): value is ObservableLike {
  return (
    typeof (value as ObservableLike).subscribe === 'function' &&
    typeof (value as ObservableLike).lift === 'function'
  );
}

/**
 * The base class of an RxJS-style Observable (walking past subclasses such as Subject), so a
 * wrapped Observable can be built without us depending on rxjs: users bring their own copy.
 */
function observableBase(value: object): ObservableConstructor {
  let proto: object = Object.getPrototypeOf(value) as object;
  while (Object.getPrototypeOf(proto) !== Object.prototype) proto = Object.getPrototypeOf(proto) as object;
  return (proto as { constructor: ObservableConstructor }).constructor;
}

function endObservable(span: Span, source: ObservableLike, onError: SpanErrorRecorder): unknown {
  const Base = observableBase(source);
  // Cold Observables do their work on subscribe: run it inside the span so child spans nest.
  const spanContext = context.active();
  return new Base((subscriber) => {
    let done = false;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      if (error !== undefined) onError(span, error);
      span.end();
    };
    const subscription = context.with(spanContext, () =>
      source.subscribe({
        next: (value) => subscriber.next(value),
        error: (error) => {
          finish(error);
          subscriber.error(error);
        },
        complete: () => {
          finish();
          subscriber.complete();
        },
      }),
    );
    return () => {
      subscription.unsubscribe();
      finish();
    };
  });
}

/**
 * Ends `span` when the work is done: at once for a plain value, when a Promise settles, when an
 * Observable completes, errors or is unsubscribed. Errors are recorded and rethrown untouched.
 */
export function finishWith<T>(span: Span, result: T, onError: SpanErrorRecorder = recordError): T {
  if (result !== null && typeof result === 'object') {
    if (typeof (result as { then?: unknown }).then === 'function') {
      return (result as unknown as PromiseLike<unknown>).then(
        (value) => {
          span.end();
          return value;
        },
        (error: unknown) => {
          onError(span, error);
          span.end();
          throw error;
        },
      ) as T;
    }
    if (isObservable(result)) return endObservable(span, result, onError) as T;
  }
  span.end();
  return result;
}

/**
 * Calls `fn` with `args` as the work of `span` (call it inside the span's context) and ends the
 * span when that work is done: at once for a plain value, when a returned Promise settles, when a
 * returned Observable completes, errors or is unsubscribed. A failure goes through `onError`
 * (default {@link recordError}) and is rethrown untouched. What `@Traced()` uses, for adapters
 * that wrap handlers themselves.
 */
export function invokeInSpan<T>(
  span: Span,
  fn: (...args: never[]) => T,
  thisArg: unknown,
  args: ArrayLike<unknown>,
  onError: SpanErrorRecorder = recordError,
): T {
  let result: T;
  try {
    result = fn.apply(thisArg, args as never[]);
  } catch (error) {
    onError(span, error);
    span.end();
    throw error;
  }
  return finishWith(span, result, onError);
}
