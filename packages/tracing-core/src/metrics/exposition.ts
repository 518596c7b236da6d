import type { MetricObjectWithValues, MetricValue, Registry, RegistryContentType } from 'prom-client';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

type Sample = MetricValue<string> & {
  metricName?: string;
  exemplar?: { labelSet: Record<string, string | number>; value: number; timestamp: number } | null;
};

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatLabels(labels: Record<string, string | number | undefined>): string {
  const parts: string[] = [];
  for (const name in labels) {
    const value = labels[name];
    if (value === undefined) continue;
    parts.push(`${name}="${escapeLabelValue(String(value))}"`);
  }
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/**
 * Renders prom-client registries ourselves rather than with `registry.metrics()`: prom-client fixes
 * the format per registry (and renames counters in place when it renders OpenMetrics), while one
 * `/metrics` endpoint must answer both Prometheus' classic text and OpenMetrics with exemplars,
 * depending on what the scraper asks for.
 */
export async function renderMetrics(
  registries: readonly Registry<RegistryContentType>[],
  openMetrics: boolean,
): Promise<string> {
  const families = (await Promise.all(registries.map((registry) => registry.getMetricsAsJSON()))).flat();
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const family of families as Array<MetricObjectWithValues<MetricValue<string>>>) {
    if (seen.has(family.name)) continue;
    seen.add(family.name);
    const type = String(family.type);
    // Counters are `x_total` in Prometheus text and family `x` with samples `x_total` in
    // OpenMetrics, whichever form the metric was declared (or renamed by prom-client) in.
    const counterBase = type === 'counter' ? family.name.replace(/_total$/, '') : family.name;
    const familyName =
      type === 'counter' ? (openMetrics ? counterBase : `${counterBase}_total`) : family.name;
    lines.push(`# HELP ${familyName} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${familyName} ${type}`);
    for (const sample of family.values as Sample[]) {
      const name = type === 'counter' ? `${counterBase}_total` : (sample.metricName ?? family.name);
      let line = `${name}${formatLabels(sample.labels)} ${formatValue(sample.value)}`;
      const exemplar = sample.exemplar;
      if (openMetrics && exemplar != null && Object.keys(exemplar.labelSet).length > 0) {
        line += ` # ${formatLabels(exemplar.labelSet)} ${formatValue(exemplar.value)} ${exemplar.timestamp}`;
      }
      lines.push(line);
    }
  }
  if (openMetrics) lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

/** Whether the scrape's `Accept` header prefers OpenMetrics (Prometheus sends it when exemplar storage is on). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept?.includes('application/openmetrics-text') === true;
}
