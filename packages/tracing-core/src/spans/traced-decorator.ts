import { type Attributes, context, type SpanOptions } from '@opentelemetry/api';
import { contextWithSpan } from '../context/linked-context.ts';
import { currentTracer } from './active-tracer.ts';
import { invokeInSpan } from './run-in-span.ts';

/** Options of {@link Traced}. */
export interface TracedOptions {
  /** Span name. Default `ClassName.methodName`. */
  name?: string;
  /** Attributes set on every span of the method. */
  attributes?: Attributes;
}

type AnyMethod = (this: unknown, ...args: never[]) => unknown;
type AnyClass = abstract new (...args: never[]) => unknown;

/** Marks wrappers so a class-level `@Traced()` skips methods already traced on their own. */
const TRACED = Symbol.for('@maestro/tracing-core/traced');

interface ReflectWithMetadata {
  getOwnMetadataKeys?(target: object): unknown[];
  getOwnMetadata?(key: unknown, target: object): unknown;
  defineMetadata?(key: unknown, value: unknown, target: object): void;
}

/**
 * Makes `wrapper` stand in for `original`: same `name` and `length`, and every Reflect metadata
 * key. Frameworks keep their metadata on the method function itself (NestJS routes, guards,
 * Swagger, `@SetMetadata`): without it a wrapped route would silently disappear.
 *
 * @example
 * descriptor.value = preserveFunctionIdentity(original, function (this: unknown, ...args) { … });
 */
export function preserveFunctionIdentity<F extends Function>(original: Function, wrapper: F): F {
  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  const reflect = Reflect as unknown as ReflectWithMetadata;
  for (const key of reflect.getOwnMetadataKeys?.(original) ?? []) {
    reflect.defineMetadata!(key, reflect.getOwnMetadata!(key, original), wrapper);
  }
  return wrapper;
}

function wrapMethod(
  original: AnyMethod,
  spanName: (self: unknown) => string,
  attributes?: Attributes,
): AnyMethod {
  const options: SpanOptions | undefined = attributes === undefined ? undefined : { attributes };
  const wrapped = function (this: unknown) {
    const tracer = currentTracer();
    // biome-ignore lint/complexity/noArguments: forwarding `arguments` avoids allocating a rest array per call.
    if (tracer === undefined) return original.apply(this, arguments as unknown as never[]);
    const span = tracer.startSpan(spanName(this), options);
    const spanContext = contextWithSpan(context.active(), span);
    // biome-ignore lint/complexity/noArguments: see above.
    return context.with(spanContext, invokeInSpan, undefined, span, original, this, arguments);
  };
  Object.defineProperty(wrapped, TRACED, { value: true });
  return preserveFunctionIdentity(original, wrapped);
}

/** A name known at decoration time (legacy decorators), or read from the first instance that calls. */
function nameFor(explicit: string | undefined, methodName: string, className: string | undefined) {
  if (explicit !== undefined) return () => explicit;
  if (className !== undefined) {
    const fixed = `${className}.${methodName}`;
    return () => fixed;
  }
  let cached: string | undefined;
  return (self: unknown) => {
    cached ??= `${(self as { constructor?: { name?: string } } | undefined)?.constructor?.name ?? 'anonymous'}.${methodName}`;
    return cached;
  };
}

function traceClassMethods(prototype: object, className: string, options: TracedOptions): void {
  for (const key of Object.getOwnPropertyNames(prototype)) {
    if (key === 'constructor') continue;
    const descriptor = Object.getOwnPropertyDescriptor(prototype, key);
    if (descriptor === undefined || typeof descriptor.value !== 'function') continue;
    if ((descriptor.value as { [TRACED]?: boolean })[TRACED]) continue;
    descriptor.value = wrapMethod(
      descriptor.value as AnyMethod,
      nameFor(undefined, key, className),
      options.attributes,
    );
    Object.defineProperty(prototype, key, descriptor);
  }
}

interface StandardContext {
  kind: string;
  name: string | symbol | undefined;
  static?: boolean;
}

function isStandardContext(value: unknown): value is StandardContext {
  return typeof value === 'object' && value !== null && 'kind' in value;
}

/**
 * Traces a method, or every method of a class, in a span named `ClassName.method` (or `name`).
 * Works as a TypeScript legacy decorator (`experimentalDecorators`, as NestJS uses) and as a
 * standard decorator. The wrapper keeps the method's `name` and every Reflect metadata key, and
 * the span ends when a returned Promise settles or a returned Observable completes or errors.
 *
 * @example
 * class ModelService {
 *   @Traced()
 *   async findModel(id: string) { return this.repo.get(id); }
 * }
 */
export function Traced(nameOrOptions?: string | TracedOptions) {
  const options: TracedOptions =
    typeof nameOrOptions === 'string' ? { name: nameOrOptions } : (nameOrOptions ?? {});

  // One function serves the four call shapes: legacy method/class and standard method/class.
  function decorate(target: unknown, keyOrContext?: unknown, descriptor?: PropertyDescriptor): unknown {
    if (isStandardContext(keyOrContext)) {
      if (keyOrContext.kind === 'method') {
        const methodName = String(keyOrContext.name);
        return wrapMethod(
          target as AnyMethod,
          nameFor(options.name, methodName, undefined),
          options.attributes,
        );
      }
      if (keyOrContext.kind === 'class') {
        const cls = target as AnyClass;
        traceClassMethods(cls.prototype as object, cls.name, options);
        return undefined;
      }
      throw new TypeError(`@Traced() applies to methods and classes, not to a ${keyOrContext.kind}`);
    }
    if (keyOrContext === undefined) {
      const cls = target as AnyClass;
      traceClassMethods(cls.prototype as object, cls.name, options);
      return undefined;
    }
    if (descriptor === undefined || typeof descriptor.value !== 'function') {
      throw new TypeError('@Traced() applies to methods and classes, not to properties or accessors');
    }
    const owner = typeof target === 'function' ? (target as AnyClass) : (target as object).constructor;
    descriptor.value = wrapMethod(
      descriptor.value as AnyMethod,
      nameFor(options.name, String(keyOrContext), (owner as { name: string }).name),
      options.attributes,
    );
    return descriptor;
  }
  return decorate as unknown as TracedDecorator;
}

/** The decorator {@link Traced} returns: usable on classes and methods, legacy or standard. */
export interface TracedDecorator {
  <T extends AnyClass>(target: T): void;
  <T>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ): TypedPropertyDescriptor<T> | undefined;
  <T extends AnyMethod>(target: T, context: ClassMethodDecoratorContext): T;
  <T extends AnyClass>(target: T, context: ClassDecoratorContext): void;
}
