import 'reflect-metadata';
import { SpanStatusCode } from '@opentelemetry/api';
import { firstValueFrom, lastValueFrom, Observable, of, Subject, throwError, timer } from 'rxjs';
import { map } from 'rxjs/operators';
import ts from 'typescript';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTestTracing } from '../testing/index.ts';
import { traceSpan } from './helpers.ts';
import { Traced } from './traced-decorator.ts';

const testing = createTestTracing();
afterEach(() => testing.reset());
afterAll(() => testing.shutdown());

const ROUTE_KEY = 'path';
const GUARDS_KEY = '__guards__';
/** What NestJS's @Get and @UseGuards do: metadata on the method function itself. */
function Route(path: string): MethodDecorator {
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(ROUTE_KEY, path, descriptor.value as object);
  };
}
function Guards(...guards: string[]): MethodDecorator {
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(GUARDS_KEY, guards, descriptor.value as object);
  };
}

// Compiled by vitest with `experimentalDecorators`, exactly as a NestJS app is.
class ModelService {
  constructor(private readonly suffix = '!') {}

  @Traced()
  find(id: string): string {
    return `model-${id}${this.suffix}`;
  }

  @Traced('models.load')
  async load(id: string): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, 2));
    return traceSpan('db.query', () => `loaded-${id}`);
  }

  @Traced({ attributes: { 'model.kind': 'stream' } })
  stream(values: number[]): Observable<number> {
    return new Observable<number>((subscriber) => {
      traceSpan('inside.subscribe', () => {});
      for (const value of values) subscriber.next(value);
      subscriber.complete();
    });
  }

  @Traced()
  broken(): Observable<never> {
    return throwError(() => new Error('stream failed'));
  }

  @Traced()
  fail(): never {
    throw new RangeError('nope');
  }

  @Traced()
  async reject(): Promise<never> {
    throw new Error('async nope');
  }

  @Traced()
  @Route('/models/:id')
  @Guards('AuthGuard')
  routed(id: string): string {
    return id;
  }

  @Route('/models')
  @Traced()
  listed(): string[] {
    return [];
  }
}

@Traced()
class PipelineService {
  step(n: number): number {
    return n + 1;
  }
  async asyncStep(): Promise<string> {
    return 'done';
  }
  @Traced('custom.name')
  named(): void {}
  get notAMethod(): number {
    return 1;
  }
}

class Ticker {
  readonly subject = new Subject<number>();
  @Traced('ticker')
  tick(): Observable<number> {
    return this.subject;
  }
}

const emitterLike = { subscribe: () => 'not rxjs' };
class PlainHolder {
  @Traced('plain')
  get(): typeof emitterLike {
    return emitterLike;
  }
  @Traced('of')
  values(): Observable<number> {
    return of(1, 2);
  }
  @Traced('timer')
  wait(): Observable<number> {
    return timer(5);
  }
}

describe('@Traced() with legacy decorators (experimentalDecorators, as NestJS compiles)', () => {
  const service = new ModelService();

  it('names the span Class.method, keeps `this`, arguments and the return value', () => {
    expect(service.find('42')).toBe('model-42!');
    expect(testing.spans().map((span) => span.name)).toEqual(['ModelService.find']);
  });

  it('ends an async span when the promise settles, with inner spans as children', async () => {
    expect(await service.load('7')).toBe('loaded-7');
    const outer = testing.span('models.load');
    expect(testing.span('db.query').parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
  });

  it('ends the span when an Observable completes, and subscribes inside the span', async () => {
    const stream = service.stream([1, 2, 3]);
    expect(stream).toBeInstanceOf(Observable);
    expect(testing.spans()).toHaveLength(0);
    expect(await lastValueFrom(stream.pipe(map((v) => v * 10)))).toBe(30);
    const span = testing.span('ModelService.stream');
    expect(span.attributes).toEqual({ 'model.kind': 'stream' });
    expect(testing.span('inside.subscribe').parentSpanContext?.spanId).toBe(span.spanContext().spanId);
  });

  it('records an Observable error and passes it on', async () => {
    await expect(lastValueFrom(service.broken())).rejects.toThrow('stream failed');
    expect(testing.span('ModelService.broken').status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'stream failed',
    });
  });

  it('ends the span when an Observable is unsubscribed early', async () => {
    const ticker = new Ticker();
    const first = firstValueFrom(ticker.tick());
    ticker.subject.next(1);
    expect(await first).toBe(1);
    const span = testing.span('ticker');
    expect(span.ended).toBe(true);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('rethrows sync and async errors untouched, recording them', async () => {
    expect(() => service.fail()).toThrow(RangeError);
    await expect(service.reject()).rejects.toThrow('async nope');
    expect(testing.span('ModelService.fail').status.code).toBe(SpanStatusCode.ERROR);
    expect(testing.span('ModelService.reject').status.code).toBe(SpanStatusCode.ERROR);
  });

  it('keeps the method name, arity and every Reflect metadata key, in either decorator order', () => {
    const proto = ModelService.prototype;
    expect(proto.routed.name).toBe('routed');
    expect(proto.routed.length).toBe(1);
    expect(Reflect.getMetadata(ROUTE_KEY, proto.routed)).toBe('/models/:id');
    expect(Reflect.getMetadata(GUARDS_KEY, proto.routed)).toEqual(['AuthGuard']);
    expect(Reflect.getMetadata(ROUTE_KEY, proto.listed)).toBe('/models');
    expect(service.routed('9')).toBe('9');
    expect(testing.span('ModelService.routed')).toBeDefined();
  });

  it('on a class, traces every method; a method’s own @Traced name wins; accessors are left alone', async () => {
    const pipeline = new PipelineService();
    expect(pipeline.step(1)).toBe(2);
    expect(await pipeline.asyncStep()).toBe('done');
    pipeline.named();
    expect(pipeline.notAMethod).toBe(1);
    expect(testing.spans().map((span) => span.name)).toEqual([
      'PipelineService.step',
      'PipelineService.asyncStep',
      'custom.name',
    ]);
  });
});

/** Compiles a snippet with TypeScript's standard (TC39) decorators and runs it with `Traced` in scope. */
function compileStandard(source: string): Record<string, unknown> {
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      experimentalDecorators: false,
    },
  });
  expect(outputText).toContain('__esDecorate');
  const exports: Record<string, unknown> = {};
  new Function('exports', 'Traced', 'traceSpan', outputText)(exports, Traced, traceSpan);
  return exports;
}

describe('@Traced() with standard decorators', () => {
  const { Service, WholeClass } = compileStandard(`
    export class Service {
      factor = 3;
      @Traced()
      times(n) { return n * this.factor; }
      @Traced('service.async')
      async later(n) { return traceSpan('inner', () => n); }
    }
    @Traced()
    export class WholeClass {
      a() { return 'a'; }
      b() { return 'b'; }
    }
  `) as {
    Service: new () => { times(n: number): number; later(n: number): Promise<number> };
    WholeClass: new () => { a(): string; b(): string };
  };

  it('traces methods, naming the span after the instance’s class', async () => {
    const service = new Service();
    expect(service.times(2)).toBe(6);
    expect(await service.later(5)).toBe(5);
    expect(Service.prototype.times.name).toBe('times');
    const outer = testing.span('service.async');
    expect(testing.span('Service.times')).toBeDefined();
    expect(testing.span('inner').parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
  });

  it('traces every method of a decorated class', () => {
    const whole = new WholeClass();
    expect(whole.a() + whole.b()).toBe('ab');
    expect(testing.spans().map((span) => span.name)).toEqual(['WholeClass.a', 'WholeClass.b']);
  });

  it('refuses fields with a clear TypeError at class definition', () => {
    expect(() =>
      compileStandard(`
        export class Broken { @Traced() field = 1; }
      `),
    ).toThrow(new TypeError('@Traced() applies to methods and classes, not to a field'));
  });
});

describe('@Traced() on plain values and observables of other shapes', () => {
  it('passes through non-Observable objects with a subscribe method untouched', () => {
    const holder = new PlainHolder();
    expect(holder.get()).toBe(emitterLike);
    expect(testing.span('plain').ended).toBe(true);
  });

  it('handles of() and timer() sources', async () => {
    const holder = new PlainHolder();
    expect(await lastValueFrom(holder.values())).toBe(2);
    expect(await lastValueFrom(holder.wait())).toBe(0);
    expect(testing.spans().map((span) => span.name)).toEqual(['of', 'timer']);
  });
});
