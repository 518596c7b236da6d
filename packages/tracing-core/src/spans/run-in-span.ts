import { context, type Span, SpanStatusCode } from '@opentelemetry/api';

/** Marks a span as failed by `error`, without touching the error itself. */
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

function endObservable(span: Span, source: ObservableLike): unknown {
  const Base = observableBase(source);
  // Cold Observables do their work on subscribe: run it inside the span so child spans nest.
  const spanContext = context.active();
  return new Base((subscriber) => {
    let done = false;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      if (error !== undefined) recordError(span, error);
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
export function finishWith<T>(span: Span, result: T): T {
  if (result !== null && typeof result === 'object') {
    if (typeof (result as { then?: unknown }).then === 'function') {
      return (result as unknown as PromiseLike<unknown>).then(
        (value) => {
          span.end();
          return value;
        },
        (error: unknown) => {
          recordError(span, error);
          span.end();
          throw error;
        },
      ) as T;
    }
    if (isObservable(result)) return endObservable(span, result) as T;
  }
  span.end();
  return result;
}

/** Calls `fn` with `args`, and ends `span` when the call's work is done (see {@link finishWith}). */
export function invokeInSpan<T>(
  span: Span,
  fn: (...args: never[]) => T,
  thisArg: unknown,
  args: ArrayLike<unknown>,
): T {
  let result: T;
  try {
    result = fn.apply(thisArg, args as never[]);
  } catch (error) {
    recordError(span, error);
    span.end();
    throw error;
  }
  return finishWith(span, result);
}
