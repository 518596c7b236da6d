// A collector that accepts OTLP requests and never answers them: the "slow" half of the outage run.
import { createServer } from 'node:http';

const held = [];
const server = createServer((req, res) => {
  req.resume();
  held.push(res);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/v1/traces` })}\n`);
});
