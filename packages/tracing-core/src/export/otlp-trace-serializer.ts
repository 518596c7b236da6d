import type { HrTime, Link, SpanContext, SpanStatus } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { RandomIdWords } from '../spans/lean-tracer.ts';

/*
 * OTLP/protobuf ExportTraceServiceRequest, written in one pass. Field numbers are those of
 * opentelemetry/proto/trace/v1/trace.proto and common/v1/common.proto; the output is byte for byte
 * what the SDK's ProtobufTraceSerializer writes (a test pins it), at a fraction of the cost: no
 * separate sizing pass (a length is reserved and moved only when the guess was short), hex ids
 * decoded through a table, attribute keys encoded once per process, and resource and scope
 * encoded once per batch.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;
const SPAN_FLAGS_HAS_IS_REMOTE = 0x100;
const SPAN_FLAGS_IS_REMOTE = 0x200;
const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

const HEX_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUES['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUES['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/**
 * Per attribute key: its encoded `KeyValue.key` field (tag, length, bytes), and the last scalar value
 * written under it, with the whole KeyValue it encoded to once that value came twice in a row. Keys
 * are few; most values of a server's spans repeat from span to span (method, scheme, host, port,
 * route, status), and a repeated one is copied instead of encoded again. A value that changes every
 * time only replaces `lastValue`.
 */
interface KeyEntry {
  readonly key: Uint8Array;
  lastValue: unknown;
  pair: Uint8Array | undefined;
}
const KEY_CACHE = new Map<string, KeyEntry>();
const KEY_CACHE_LIMIT = 2048;
/** Longer strings are encoded every time, which bounds the cache at a few hundred bytes a key. */
const PAIR_STRING_LIMIT = 128;
const RAW_LOOP_LIMIT = 16;

/**
 * Spare buffers for the writers of span batches. A batch of a few hundred spans fills a few hundred
 * kB; allocated afresh for every batch, and doubled on the way there, that memory is new pages the
 * kernel must fault in and zero, and moved on every doubling: most of what serialising cost, and
 * why its timing swung threefold from run to run on a virtual machine. A finished batch gives its
 * buffers back here and the next one writes into them. Bounded in count and in bytes.
 */
const SPARE_BUFFERS: Buffer[] = [];
const SPARE_BUFFER_COUNT = 8;
const SPARE_BYTES_LIMIT = 8 * 1024 * 1024;
let spareBytes = 0;

/** The index of the largest, or else the smallest, spare of at least `minSize` bytes; -1 if none. */
function spareIndex(minSize: number, largest: boolean): number {
  let chosen = -1;
  for (let i = 0; i < SPARE_BUFFERS.length; i++) {
    const length = SPARE_BUFFERS[i]!.length;
    if (length < minSize) continue;
    if (
      chosen === -1 ||
      (largest ? length > SPARE_BUFFERS[chosen]!.length : length < SPARE_BUFFERS[chosen]!.length)
    )
      chosen = i;
  }
  return chosen;
}

function removeSpare(index: number): Buffer {
  const spare = SPARE_BUFFERS[index]!;
  SPARE_BUFFERS[index] = SPARE_BUFFERS[SPARE_BUFFERS.length - 1]!;
  SPARE_BUFFERS.pop();
  spareBytes -= spare.length;
  return spare;
}

/**
 * A spare buffer of at least `minSize` bytes, else a new one. A batch's spans take the largest, to
 * grow as little as possible; its request the smallest that fits, as it is posted to the export
 * worker whole buffer and all.
 */
function takeBuffer(minSize: number, largest: boolean): Buffer {
  const index = spareIndex(minSize, largest);
  // Every byte up to a writer's `pos` gets written; zero-filling the rest would be wasted work.
  return index === -1 ? Buffer.allocUnsafeSlow(minSize) : removeSpare(index);
}

/** The spare buffers kept for the next batches: at most 8, of at most 8 MiB together. */
export function spareBuffers(): { readonly count: number; readonly bytes: number } {
  return { count: SPARE_BUFFERS.length, bytes: spareBytes };
}

function giveBuffer(buffer: Buffer): void {
  if (buffer.length === 0 || buffer.length > SPARE_BYTES_LIMIT) return;
  SPARE_BUFFERS.push(buffer);
  spareBytes += buffer.length;
  // Over a bound, the smallest go first: a larger one serves any batch a smaller one would.
  while (SPARE_BUFFERS.length > SPARE_BUFFER_COUNT || spareBytes > SPARE_BYTES_LIMIT)
    removeSpare(spareIndex(0, false));
}

const NO_BYTES = Buffer.alloc(0);
const NO_VIEW = new DataView(NO_BYTES.buffer, NO_BYTES.byteOffset, 0);

/** Where a writer's memory comes from: its own, or the spares, for a batch's spans or its request. */
type WriterMemory = 'own' | 'spans' | 'request';

class Writer {
  buffer: Buffer;
  view: DataView;
  pos = 0;
  readonly #memory: WriterMemory;

  constructor(initialSize: number, memory: WriterMemory = 'own') {
    this.#memory = memory;
    this.buffer = this.#allocate(initialSize);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.length);
  }

  #allocate(size: number): Buffer {
    // Every byte up to `pos` gets written; zero-filling the rest would be wasted work.
    return this.#memory === 'own' ? Buffer.allocUnsafeSlow(size) : takeBuffer(size, this.#memory === 'spans');
  }

  /** Gives the buffer of a writer on spare memory back; the writer is spent. */
  release(): void {
    if (this.#memory !== 'own') giveBuffer(this.buffer);
    this.buffer = NO_BYTES;
    this.view = NO_VIEW;
    this.pos = 0;
  }

  ensure(extra: number): void {
    // Called before every write: kept small enough to inline, with the rare growth out of line.
    if (this.pos + extra > this.buffer.length) this.grow(extra);
  }

  grow(extra: number): void {
    let size = Math.max(this.buffer.length * 2, 1024);
    while (size < this.pos + extra) size *= 2;
    const grown = this.#allocate(size);
    grown.set(this.buffer.subarray(0, this.pos));
    if (this.#memory !== 'own') giveBuffer(this.buffer);
    this.buffer = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.length);
  }

  varint(value: number): void {
    this.ensure(10);
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v > 0x7f) {
        this.buffer[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.buffer[this.pos++] = v;
      return;
    }
    // int64 as protobuf writes it: two's complement over 64 bits, ten bytes when negative.
    let low: number;
    let high: number;
    if (value >= 0) {
      low = value >>> 0;
      high = Math.floor(value / 0x100000000) >>> 0;
    } else {
      const magnitude = -value;
      low = magnitude >>> 0;
      high = Math.floor(magnitude / 0x100000000) >>> 0;
      low = ~low >>> 0;
      high = ~high >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    while (high > 0 || low > 0x7f) {
      this.buffer[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    this.buffer[this.pos++] = low;
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** Reserves `guess` bytes for a length and returns where the content starts. */
  begin(guess: number): number {
    this.ensure(guess);
    this.pos += guess;
    return this.pos;
  }

  /** Writes the length of the content since `start`, moving the content if the guess was short. */
  end(start: number, guess: number): void {
    const length = this.pos - start;
    const needed = varintSize(length);
    if (needed !== guess) {
      this.ensure(needed - guess);
      this.buffer.copyWithin(start + needed - guess, start, this.pos);
      this.pos += needed - guess;
      start += needed - guess;
    }
    let at = start - needed;
    let v = length;
    while (v > 0x7f) {
      this.buffer[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buffer[at] = v;
  }

  string(value: string): void {
    const length = value.length;
    // Up to 42 UTF-16 units is at most 126 UTF-8 bytes: a one-byte length, and a single pass.
    if (length <= 42) {
      const start = this.begin(1);
      this.ensure(length * 3);
      const buffer = this.buffer;
      let pos = this.pos;
      for (let i = 0; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) {
          this.pos = start;
          this.utf8(value);
          this.end(start, 1);
          return;
        }
        buffer[pos++] = code;
      }
      this.pos = pos;
      this.end(start, 1);
      return;
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    this.varint(bytes);
    this.ensure(bytes);
    this.pos += this.buffer.write(value, this.pos, 'utf8');
  }

  utf8(value: string): void {
    this.ensure(value.length * 3);
    this.pos += this.buffer.write(value, this.pos, 'utf8');
  }

  raw(bytes: Uint8Array): void {
    const length = bytes.length;
    this.ensure(length);
    // A loop beats TypedArray#set for a short key field; a whole cached KeyValue is worth the call.
    if (length > RAW_LOOP_LIMIT) {
      this.buffer.set(bytes, this.pos);
      this.pos += length;
      return;
    }
    const buffer = this.buffer;
    let pos = this.pos;
    for (let i = 0; i < length; i++) buffer[pos++] = bytes[i]!;
    this.pos = pos;
  }

  /** A hex id as its bytes, length-prefixed (trace ids 16 bytes, span ids 8). */
  bytes(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  hexId(hex: string): void {
    const bytes = hex.length >>> 1;
    this.ensure(bytes + 1);
    const buffer = this.buffer;
    let pos = this.pos;
    buffer[pos++] = bytes;
    for (let i = 0; i < bytes; i++) {
      const high = HEX_VALUES[hex.charCodeAt(2 * i)] ?? -1;
      const low = HEX_VALUES[hex.charCodeAt(2 * i + 1)] ?? -1;
      buffer[pos++] = ((high << 4) | low) & 0xff;
    }
    this.pos = pos;
  }

  /** A trace id from its four big-endian 32-bit words, length-prefixed: the bytes {@link hexId} writes. */
  traceIdWords(w0: number, w1: number, w2: number, w3: number): void {
    this.ensure(17);
    const pos = this.pos;
    this.buffer[pos] = 16;
    const view = this.view;
    view.setInt32(pos + 1, w0);
    view.setInt32(pos + 5, w1);
    view.setInt32(pos + 9, w2);
    view.setInt32(pos + 13, w3);
    this.pos = pos + 17;
  }

  /** A span id from its two big-endian 32-bit words, length-prefixed. */
  spanIdWords(w0: number, w1: number): void {
    this.ensure(9);
    const pos = this.pos;
    this.buffer[pos] = 8;
    this.view.setInt32(pos + 1, w0);
    this.view.setInt32(pos + 5, w1);
    this.pos = pos + 9;
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, value >>> 0, true);
    this.pos += 4;
  }

  /** Nanoseconds since the epoch as fixed64, exact beyond 2^53 (seconds split into 16-bit halves). */
  time(time: HrTime): void {
    const seconds = time[0];
    const lowSeconds = seconds & 0xffff;
    const highSeconds = (seconds / 0x10000) >>> 0;
    const fromLow = lowSeconds * 1e9;
    const fromHigh = highSeconds * 1e9;
    const low = (fromLow >>> 0) + (((fromHigh & 0xffff) * 0x10000) >>> 0) + time[1];
    const high =
      Math.floor(fromLow / 0x100000000) + ((fromHigh / 0x10000) >>> 0) + Math.floor(low / 0x100000000);
    this.ensure(8);
    this.view.setUint32(this.pos, low >>> 0, true);
    this.view.setUint32(this.pos + 4, high >>> 0, true);
    this.pos += 8;
  }

  double(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  finish(): Uint8Array {
    return new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, this.pos);
  }
}

function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

function keyEntry(key: string): KeyEntry | undefined {
  let entry = KEY_CACHE.get(key);
  if (entry !== undefined) return entry;
  if (KEY_CACHE.size >= KEY_CACHE_LIMIT) return undefined;
  const scratch = new Writer(key.length * 3 + 8);
  scratch.tag(1, WIRE_LENGTH);
  scratch.string(key);
  entry = { key: scratch.finish().slice(), lastValue: undefined, pair: undefined };
  KEY_CACHE.set(key, entry);
  return entry;
}

/** A value whose KeyValue may be kept: a scalar, and a string no longer than the limit. */
function isPairCacheable(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
      return value.length <= PAIR_STRING_LIMIT;
    case 'number':
    case 'boolean':
      return true;
    default:
      return false;
  }
}

function writeAnyValue(writer: Writer, value: unknown): void {
  switch (typeof value) {
    case 'string':
      writer.tag(1, WIRE_LENGTH);
      writer.string(value);
      return;
    case 'boolean':
      writer.tag(2, WIRE_VARINT);
      writer.varint(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
        writer.tag(3, WIRE_VARINT);
        writer.varint(value);
      } else {
        writer.tag(4, WIRE_FIXED64);
        writer.double(value);
      }
      return;
  }
  if (value instanceof Uint8Array) {
    writer.tag(7, WIRE_LENGTH);
    writer.varint(value.length);
    writer.raw(value);
  } else if (Array.isArray(value)) {
    writer.tag(5, WIRE_LENGTH);
    const array = writer.begin(1);
    for (const item of value) {
      writer.tag(1, WIRE_LENGTH);
      const itemStart = writer.begin(1);
      writeAnyValue(writer, item);
      writer.end(itemStart, 1);
    }
    writer.end(array, 1);
  } else if (typeof value === 'object' && value !== null) {
    // A KeyValueList's entries are KeyValue messages, as attributes are.
    writer.tag(6, WIRE_LENGTH);
    const list = writer.begin(1);
    writeAttributes(writer, value as Record<string, unknown>, 1);
    writer.end(list, 1);
  }
}

function writeAttributes(writer: Writer, attributes: Record<string, unknown>, field: number) {
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    const value = attributes[key];
    const entry = keyEntry(key);
    writer.tag(field, WIRE_LENGTH);
    // NaN never equals itself, so it is never taken for a repeat.
    if (entry !== undefined && entry.pair !== undefined && entry.lastValue === value) {
      writer.varint(entry.pair.length);
      writer.raw(entry.pair);
      continue;
    }
    const pair = writer.begin(1);
    if (entry === undefined) {
      writer.tag(1, WIRE_LENGTH);
      writer.string(key);
    } else {
      writer.raw(entry.key);
    }
    writer.tag(2, WIRE_LENGTH);
    const valueStart = writer.begin(1);
    writeAnyValue(writer, value);
    writer.end(valueStart, 1);
    const pairLength = writer.pos - pair;
    writer.end(pair, 1);
    if (entry === undefined || !isPairCacheable(value)) continue;
    if (entry.lastValue === value) {
      // A copy: the writer's buffer is reused and grown.
      entry.pair = new Uint8Array(writer.buffer.subarray(writer.pos - pairLength, writer.pos));
    } else {
      entry.lastValue = value;
      entry.pair = undefined;
    }
  }
}

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | SPAN_FLAGS_HAS_IS_REMOTE | (isRemote ? SPAN_FLAGS_IS_REMOTE : 0);
}

function writeStatus(writer: Writer, status: SpanStatus): void {
  writer.tag(15, WIRE_LENGTH);
  const start = writer.begin(1);
  if (status.message) {
    writer.tag(2, WIRE_LENGTH);
    writer.string(status.message);
  }
  writer.tag(3, WIRE_VARINT);
  writer.varint(status.code);
  writer.end(start, 1);
}

function writeEvent(writer: Writer, event: TimedEvent): void {
  writer.tag(11, WIRE_LENGTH);
  const start = writer.begin(2);
  writer.tag(1, WIRE_FIXED64);
  writer.time(event.time);
  writer.tag(2, WIRE_LENGTH);
  writer.string(event.name);
  if (event.attributes) writeAttributes(writer, event.attributes, 3);
  writer.tag(4, WIRE_VARINT);
  writer.varint(event.droppedAttributesCount || 0);
  writer.end(start, 2);
}

function writeLink(writer: Writer, link: Link): void {
  writer.tag(13, WIRE_LENGTH);
  const start = writer.begin(1);
  const linked = link.context;
  writer.tag(1, WIRE_LENGTH);
  writer.hexId(linked.traceId);
  writer.tag(2, WIRE_LENGTH);
  writer.hexId(linked.spanId);
  const traceState = linked.traceState?.serialize();
  if (traceState) {
    writer.tag(3, WIRE_LENGTH);
    writer.string(traceState);
  }
  if (link.attributes) writeAttributes(writer, link.attributes, 4);
  writer.tag(5, WIRE_VARINT);
  writer.varint(link.droppedAttributesCount || 0);
  writer.tag(6, WIRE_FIXED32);
  writer.fixed32(spanFlags(linked.traceFlags, linked.isRemote));
  writer.end(start, 1);
}

function writeSpan(writer: Writer, span: ReadableSpan): void {
  writer.tag(2, WIRE_LENGTH);
  const start = writer.begin(2);
  const ids: SpanContext = span.spanContext();
  const random = span as Partial<RandomIdWords>;
  writer.tag(1, WIRE_LENGTH);
  if (random.traceIdWords === true)
    writer.traceIdWords(random.traceIdW0!, random.traceIdW1!, random.traceIdW2!, random.traceIdW3!);
  else writer.hexId(ids.traceId);
  writer.tag(2, WIRE_LENGTH);
  if (random.spanIdWords === true) writer.spanIdWords(random.spanIdW0!, random.spanIdW1!);
  else writer.hexId(ids.spanId);
  const traceState = ids.traceState?.serialize();
  if (traceState) {
    writer.tag(3, WIRE_LENGTH);
    writer.string(traceState);
  }
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    writer.tag(4, WIRE_LENGTH);
    writer.hexId(parent.spanId);
  }
  writer.tag(5, WIRE_LENGTH);
  writer.string(span.name);
  // OTLP's SpanKind is the API's plus one: 0 is "unspecified".
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    writer.tag(6, WIRE_VARINT);
    writer.varint(kind);
  }
  writer.tag(7, WIRE_FIXED64);
  writer.time(span.startTime);
  writer.tag(8, WIRE_FIXED64);
  writer.time(span.endTime);
  if (span.attributes) writeAttributes(writer, span.attributes, 9);
  writer.tag(10, WIRE_VARINT);
  writer.varint(span.droppedAttributesCount);
  for (const event of span.events) writeEvent(writer, event);
  writer.tag(12, WIRE_VARINT);
  writer.varint(span.droppedEventsCount);
  for (const link of span.links) writeLink(writer, link);
  writer.tag(14, WIRE_VARINT);
  writer.varint(span.droppedLinksCount);
  writeStatus(writer, span.status);
  writer.tag(16, WIRE_FIXED32);
  writer.fixed32(spanFlags(ids.traceFlags, parent?.isRemote));
  writer.end(start, 2);
}

function writeScope(writer: Writer, scope: InstrumentationScope): void {
  writer.tag(1, WIRE_LENGTH);
  const start = writer.begin(1);
  writer.tag(1, WIRE_LENGTH);
  writer.string(scope.name);
  if (scope.version) {
    writer.tag(2, WIRE_LENGTH);
    writer.string(scope.version);
  }
  writer.end(start, 1);
}

function writeResource(writer: Writer, resource: Resource): void {
  writer.tag(1, WIRE_LENGTH);
  const start = writer.begin(2);
  if (resource.attributes) writeAttributes(writer, resource.attributes, 1);
  writer.tag(2, WIRE_VARINT);
  writer.varint(0);
  writer.end(start, 2);
}

/** The spans of one resource and instrumentation scope, already encoded, in the order they ended. */
interface ScopeGroup {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  readonly spans: Writer;
}

/**
 * An ExportTraceServiceRequest built a span at a time: each span is encoded when it is added, and
 * {@link TraceRequestEncoder.finish} wraps them in their resource and scope. A batch processor that
 * adds spans as they end holds bytes, off the JavaScript heap, instead of span objects that would
 * live until their batch leaves (seconds at a low rate, or as long as a collector is down). Writes
 * the bytes {@link serializeTraceRequest} writes
 * for the same spans in the same order (spans grouped by resource, then by scope, in first-seen
 * order, as the SDK does).
 */
export class TraceRequestEncoder {
  readonly #groups: ScopeGroup[] = [];
  #last: ScopeGroup | undefined;
  #count = 0;

  /** Spans added so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * Encodes one span. A span that cannot be encoded (a throwing getter, say) leaves nothing
   * behind: the error is thrown and the spans added before it are intact.
   */
  add(span: ReadableSpan): void {
    const group = this.#groupOf(span.resource, span.instrumentationScope);
    const writer = group.spans;
    const before = writer.pos;
    try {
      writeSpan(writer, span);
    } catch (error) {
      writer.pos = before;
      throw error;
    }
    this.#count++;
  }

  /** The whole request, in memory of its own. The encoder is spent afterwards. */
  finish(): Uint8Array {
    return this.#request('own').finish();
  }

  /**
   * Builds the whole request in memory reused from batch to batch and hands it to `use`, which must
   * be done with it when it returns (write it out, or copy it, as `postMessage` does): afterwards
   * that memory serves the next batch. Saves the fresh pages a request of its own costs, most of
   * what serialising a batch cost. The encoder is spent afterwards.
   */
  lend(use: (request: Uint8Array) => void): void {
    const writer = this.#request('request');
    try {
      use(writer.finish());
    } finally {
      writer.release();
    }
  }

  #request(memory: 'own' | 'request'): Writer {
    let spanBytes = 0;
    for (const group of this.#groups) spanBytes += group.spans.pos;
    const writer = new Writer(Math.max(1024, spanBytes + 256 * this.#groups.length), memory);
    const resources: Resource[] = [];
    for (const group of this.#groups)
      if (group.spans.pos > 0 && !resources.includes(group.resource)) resources.push(group.resource);
    for (const resource of resources) {
      writer.tag(1, WIRE_LENGTH);
      const resourceSpans = writer.begin(3);
      writeResource(writer, resource);
      for (const group of this.#groups) {
        // A group whose only span failed to encode is left out.
        if (group.resource !== resource || group.spans.pos === 0) continue;
        writer.tag(2, WIRE_LENGTH);
        const start = writer.begin(3);
        writeScope(writer, group.scope);
        writer.bytes(group.spans.buffer.subarray(0, group.spans.pos));
        if (group.scope.schemaUrl) {
          writer.tag(3, WIRE_LENGTH);
          writer.string(group.scope.schemaUrl);
        }
        writer.end(start, 3);
      }
      if (resource.schemaUrl) {
        writer.tag(3, WIRE_LENGTH);
        writer.string(resource.schemaUrl);
      }
      writer.end(resourceSpans, 3);
    }
    // The spans' bytes are in the request now: their buffers serve the next batch.
    for (const group of this.#groups) group.spans.release();
    return writer;
  }

  #groupOf(resource: Resource, scope: InstrumentationScope): ScopeGroup {
    // Nearly every span of a service shares one resource and a few scopes: the last group first.
    const last = this.#last;
    if (last !== undefined && last.resource === resource && last.scope === scope) return last;
    let group = this.#groups.find((g) => g.resource === resource && g.scope === scope);
    if (group === undefined) {
      group = { resource, scope, spans: new Writer(16 * 1024, 'spans') };
      this.#groups.push(group);
    }
    this.#last = group;
    return group;
  }
}

/**
 * Serialises finished spans as one OTLP/protobuf `ExportTraceServiceRequest`, the body our OTLP
 * exporter posts to `/v1/traces`; for exporters of your own (a queue, a file) that speak OTLP.
 */
export function serializeTraceRequest(spans: readonly ReadableSpan[]): Uint8Array {
  const encoder = new TraceRequestEncoder();
  for (const span of spans) encoder.add(span);
  return encoder.finish();
}
