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

// Should the API ever key spans differently, its own function serves rather than spans be lost.
const probe = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
const linksSpans = trace.getSpan(new LinkedContext(ROOT_CONTEXT, SPAN_KEY, probe)) === probe;

/** `trace.setSpan(parent, span)`, without copying the parent's values. */
export const contextWithSpan: (parent: Context, span: Span) => Context = linksSpans
  ? (parent, span) => link(parent, SPAN_KEY, span)
  : (parent, span) => trace.setSpan(parent, span);

const probeBaggage = propagation.createBaggage();
const linksBaggage =
  propagation.getBaggage(new LinkedContext(ROOT_CONTEXT, BAGGAGE_KEY, probeBaggage)) === probeBaggage;

/** `propagation.setBaggage(parent, baggage)`, without copying the parent's values. */
export const contextWithBaggage: (parent: Context, baggage: Baggage) => Context = linksBaggage
  ? (parent, baggage) => link(parent, BAGGAGE_KEY, baggage)
  : (parent, baggage) => propagation.setBaggage(parent, baggage);
