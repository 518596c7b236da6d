// The benchmark's collector, in a process of its own: accepts OTLP/HTTP protobuf and counts the
// spans by walking the wire format (ExportTraceServiceRequest.resource_spans[1] ->
// ResourceSpans.scope_spans[2] -> ScopeSpans.spans[2]) instead of decoding them, so it costs the
// load generator's core little. Counted by URL path too: servers measured side by side each send to
// a path of their own, so a late export is never counted as another server's. A "stats" line on
// stdin prints the counts.
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';

function readVarint(buffer, offset) {
  let value = 0;
  let shift = 0;
  let byte;
  do {
    byte = buffer[offset++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, offset];
}

/** Calls `onField(fieldNumber, start, end)` for each length-delimited field of the message in [start, end). */
function eachLengthDelimited(buffer, start, end, onField) {
  let offset = start;
  while (offset < end) {
    let key;
    [key, offset] = readVarint(buffer, offset);
    const wireType = key & 7;
    if (wireType === 2) {
      let length;
      [length, offset] = readVarint(buffer, offset);
      onField(key >>> 3, offset, offset + length);
      offset += length;
    } else if (wireType === 0) [, offset] = readVarint(buffer, offset);
    else if (wireType === 1) offset += 8;
    else if (wireType === 5) offset += 4;
    else throw new Error(`unexpected wire type ${wireType}`);
  }
}

function countSpans(body) {
  let spans = 0;
  eachLengthDelimited(body, 0, body.length, (field, s, e) => {
    if (field !== 1) return;
    eachLengthDelimited(body, s, e, (field2, s2, e2) => {
      if (field2 !== 2) return;
      eachLengthDelimited(body, s2, e2, (field3) => {
        if (field3 === 2) spans++;
      });
    });
  });
  return spans;
}

let received = 0;
const byPath = {};
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    try {
      const spans = countSpans(Buffer.concat(chunks));
      received += spans;
      byPath[req.url] = (byPath[req.url] ?? 0) + spans;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    } catch {
      res.writeHead(400).end();
    }
  });
});
server.listen(0, '127.0.0.1', () => {
  const origin = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(`${JSON.stringify({ origin, url: `${origin}/v1/traces` })}\n`);
});
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'stats') process.stdout.write(`${JSON.stringify({ spans: received, byPath })}\n`);
});
