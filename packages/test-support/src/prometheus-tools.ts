import { spawnSync } from 'node:child_process';

/** Runs Prometheus' own linter on a metrics text; `ok` is false with its complaints otherwise. */
export function promtoolCheck(text: string): { ok: boolean; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error)
    throw new Error(`promtool could not run (scripts/test.sh installs it): ${result.error.message}`);
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  exemplar: { labels: Record<string, string>; value: number } | null;
}

const PARSER = `
import json, math, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        ex = None
        if s.exemplar is not None:
            ex = {"labels": s.exemplar.labels, "value": s.exemplar.value}
        value = s.value if math.isfinite(s.value) else str(s.value)
        out.append({"name": s.name, "labels": s.labels, "value": value, "exemplar": ex})
print(json.dumps(out))
`;

/**
 * Parses OpenMetrics text with the reference Python client's strict parser (Debian's
 * python3-prometheus-client): it rejects anything that is not valid OpenMetrics.
 */
export function parseOpenMetrics(text: string): ParsedSample[] {
  const result = spawnSync('/usr/bin/python3', ['-c', PARSER], { input: text, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`OpenMetrics parser rejected the text: ${result.stderr}`);
  return JSON.parse(result.stdout) as ParsedSample[];
}

/** The lines of Prometheus text that are samples of `name` carrying every one of `labels`. */
function* sampleLines(text: string, name: string, labels: Record<string, string>): Generator<string> {
  const wanted = Object.entries(labels);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every(([key, value]) => line.includes(`${key}="${value}"`))) yield line;
  }
}

/** The value of one sample in Prometheus text, or undefined. */
export function sampleValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of sampleLines(text, name, labels)) {
    const rest = line.includes('{') ? line.slice(line.lastIndexOf('}') + 1) : line.slice(name.length);
    return Number(rest.trim().split(' ')[0]);
  }
  return undefined;
}

/**
 * The timestamp, in epoch seconds, of the first exemplar on a sample of `name` with `labels` in
 * OpenMetrics text (`… # {trace_id="…"} value timestamp`), or undefined.
 */
export function exemplarTimestamp(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of sampleLines(text, name, labels)) {
    const exemplar = line.split(' # ')[1];
    if (exemplar !== undefined) return Number(exemplar.split(' ').at(-1));
  }
  return undefined;
}
