// Turns the suite's results into the Markdown of docs/benchmarks.md.

const f = (value, digits = 1) =>
  typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '–';

const TARGETS = {
  express: { 'ours-100': 0.85, 'ours-10': 0.92 },
  fastify: { 'ours-100': 0.5, 'ours-10': 0.75 },
  nest: { 'ours-100': 0.85, 'ours-10': 0.92 },
};

const PHASE_NAMES = { micro: 'micro-benchmark', macro: 'throughput', outage: 'exporter-outage' };

function table(header, rows) {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function renderReport(results) {
  const parts = [
    '# Benchmarks',
    '',
    `Measured ${results.date.slice(0, 10)} on ${results.machine.cpus} cores (${results.machine.cpu}), ${results.machine.memoryGB} GiB, Node ${results.machine.node}${results.smoke ? ' — **smoke run: numbers are not meaningful**' : ''}.`,
    'The machine is shared and noisy: compare the ratios, measured side by side within one round, not absolute figures across runs.',
    ...Object.entries(results.carriedOver ?? {}).map(
      ([phase, date]) =>
        `The ${PHASE_NAMES[phase] ?? phase} results below are from the full run of ${date.slice(0, 16).replace('T', ' ')} UTC.`,
    ),
    '',
    'Rerun: `pnpm bench` (whole suite; `BENCH_ROUNDS=3` took about 17 minutes here) or `BENCH_ONLY=micro pnpm bench`; `node packages/benchmarks/src/run.mjs --write-docs` measures and rewrites this page, `node packages/benchmarks/src/write-docs.mjs` rewrites it from `packages/benchmarks/results/latest.json`. CI runs `BENCH_SMOKE=1 pnpm bench`, which asserts no timing.',
    '',
  ];
  if (results.macro) {
    const { rounds, warmup, seconds } = results.settings;
    parts.push(
      '## Throughput: the same route on each framework',
      '',
      `\`GET /models/:id\` returning JSON. Server pinned to core 1, autocannon (50 connections) pinned to core 0 in a separate process, ${warmup} s warm-up then ${seconds} s measured, ${rounds} interleaved rounds; medians. *ratio* is req/s over bare within the same round. Variants: **bare**; our adapter with **tracing disabled** (metrics on); **context only**, the bare app plus OpenTelemetry's AsyncLocalStorage context manager entering one context per request and nothing else — the floor any tracer that propagates context across \`await\` pays on this Node version; ours at **10 %** and **100 %** sampling exporting OTLP/protobuf to a local receiver (sent from our export worker thread; the server process, worker included, is what is pinned and measured) with RED metrics on; the standard **OpenTelemetry auto-instrumentation** (HTTP + framework instrumentation, 100 %, BatchSpanProcessor, same exporter). *spans/req* counts what the receiver got.`,
      '',
      table(
        [
          'framework',
          'variant',
          'req/s',
          'ratio',
          'target',
          'p99 ms',
          'CPU µs/req',
          'RSS MB',
          'spans/req',
          'dropped',
        ],
        results.macro.rows.map((row) => [
          row.framework,
          row.variant,
          f(row.rps, 0),
          f(row.ratio, 2),
          TARGETS[row.framework]?.[row.variant] !== undefined
            ? `≥ ${TARGETS[row.framework][row.variant]}`
            : '',
          f(row.p99, 0),
          f(row.cpuPerRequest),
          f(row.rssMB, 0),
          f(row.spansPerRequest, 2),
          row.dropped ?? '–',
        ]),
      ),
      '',
    );
  }
  if (results.spanHelpers) {
    parts.push(
      '## Span helpers, per call',
      '',
      'Targets: `@Traced` ≤ 1 µs recorded, ≤ 50 ns disabled.',
      '',
      table(
        ['mode', 'call', 'ns/call', 'added ns'],
        results.spanHelpers.map((row) => [row.mode, row.call, f(row.nsPerCall), f(row.addedNs)]),
      ),
      '',
    );
  }
  if (results.lifecycle) {
    parts.push(
      '## Request lifecycle, per request',
      '',
      'Core `HttpLifecycle.start` + `finish` on real `IncomingMessage`/`ServerResponse` objects without a network, against building those objects alone.',
      '',
      table(
        ['variant', 'ns/request', 'added ns'],
        results.lifecycle.map((row) => [row.variant, f(row.nsPerRequest, 0), f(row.addedNs, 0)]),
      ),
      '',
    );
  }
  if (results.otlp) {
    parts.push(
      '## OTLP serialisation',
      '',
      ...(results.otlp.ours === undefined
        ? [
            `${f(results.otlp.nsPerSpan, 0)} ns and ${f(results.otlp.bytesPerSpan, 0)} bytes per server span (batches of 512, the SDK's protobuf serializer).`,
          ]
        : [
            'Per server span, batches of 512, measured side by side; both write the same bytes (a test pins it).',
            '',
            '| serializer | ns per span | bytes per span | ratio |',
            '| --- | --- | --- | --- |',
            `| SDK \`ProtobufTraceSerializer\` | ${f(results.otlp.sdk.nsPerSpan, 0)} | ${f(results.otlp.sdk.bytesPerSpan, 0)} | 1.00 |`,
            `| ours (one pass, used by our OTLP exporter) | ${f(results.otlp.ours.nsPerSpan, 0)} | ${f(results.otlp.ours.bytesPerSpan, 0)} | ${f(results.otlp.ours.nsPerSpan / results.otlp.sdk.nsPerSpan, 2)} |`,
          ]),
      '',
    );
  }
  if (results.scrape) {
    parts.push(
      '## `/metrics` scrape with 200 routes',
      '',
      table(
        ['format', 'ms per scrape', 'kB'],
        Object.entries(results.scrape).map(([format, r]) => [format, f(r.ms, 2), f(r.kB, 0)]),
      ),
      '',
    );
  }
  if (results.outage) {
    parts.push(
      '## Exporter outage',
      '',
      `Express at full load, 100 % sampling, for ${results.settings.outageSeconds} s with the collector down (connection refused), then for as long with it slow (accepts, never answers). RSS sampled every 5 s; growth is counted from the first sample under load. Target: ≤ 64 MB growth, and the event loop never blocked by export.`,
      '',
      table(
        [
          'variant',
          'collector',
          'req/s',
          'RSS at 5 s MB',
          'RSS max MB',
          'growth MB',
          'loop delay max ms',
          'dropped',
          'failed',
          'RSS every 5 s',
        ],
        results.outage.map((row) => [
          row.variant,
          row.collector,
          f(row.rps, 0),
          f(row.rssAt5sMB, 0),
          f(row.rssMaxMB, 0),
          f(row.rssGrowthMB, 0),
          f(row.loopDelayMaxMs, 0),
          row.dropped ?? '–',
          row.failed ?? '–',
          row.rssSeriesMB.join(' '),
        ]),
      ),
      '',
    );
  }
  return `${parts.join('\n')}\n`;
}
