/**
 * Readers for environment values. Each returns `undefined` for an unset or empty variable and
 * records one problem — naming the variable, what it accepts and the fallback — for a bad value,
 * so a misconfiguration is reported once at startup and never surfaces per request.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigProblems {
  readonly messages: string[] = [];

  invalid(variable: string, value: unknown, accepts: string, fallback: unknown): void {
    this.messages.push(
      `${variable}=${JSON.stringify(value)} is not valid: expected ${accepts}; using ${JSON.stringify(fallback)}.`,
    );
  }

  note(message: string): void {
    this.messages.push(message);
  }
}

export function readString(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  return trimmed === '' ? undefined : trimmed;
}

export function readBoolean(env: Env, name: string, problems: ConfigProblems): boolean | undefined {
  const raw = readString(env, name);
  if (raw === undefined) return undefined;
  const lowered = raw.toLowerCase();
  if (lowered === 'true' || lowered === '1') return true;
  if (lowered === 'false' || lowered === '0') return false;
  problems.invalid(name, raw, 'true or false', 'its default');
  return undefined;
}

export function readEnum<T extends string>(
  env: Env,
  name: string,
  allowed: readonly T[],
  fallback: T,
  problems: ConfigProblems,
): T | undefined {
  const raw = readString(env, name);
  if (raw === undefined) return undefined;
  const lowered = raw.toLowerCase() as T;
  if (allowed.includes(lowered)) return lowered;
  problems.invalid(name, raw, `one of ${allowed.join(', ')}`, fallback);
  return fallback;
}

interface NumberRule {
  min: number;
  max?: number;
  integer?: boolean;
}

export function checkNumber(
  name: string,
  value: unknown,
  rule: NumberRule,
  fallback: number,
  problems: ConfigProblems,
): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= rule.min &&
    (rule.max === undefined || value <= rule.max) &&
    (!rule.integer || Number.isInteger(value));
  if (ok) return value;
  const range = rule.max === undefined ? `>= ${rule.min}` : `${rule.min}..${rule.max}`;
  problems.invalid(name, value, `${rule.integer ? 'an integer' : 'a number'} ${range}`, fallback);
  return fallback;
}

export function readNumber(
  env: Env,
  name: string,
  rule: NumberRule,
  fallback: number,
  problems: ConfigProblems,
): number | undefined {
  const raw = readString(env, name);
  if (raw === undefined) return undefined;
  const parsed = Number(raw);
  if (Number.isNaN(parsed)) {
    problems.invalid(name, raw, 'a number', fallback);
    return fallback;
  }
  return checkNumber(name, parsed, rule, fallback, problems);
}

/** `key=value,key2=value2` with percent-encoded values, the W3C baggage-like form OTEL_* lists use. */
export function readKeyValueList(
  env: Env,
  name: string,
  problems: ConfigProblems,
): Record<string, string> | undefined {
  const raw = readString(env, name);
  if (raw === undefined) return undefined;
  const result: Record<string, string> = {};
  for (const entry of raw.split(',')) {
    if (entry.trim() === '') continue;
    const eq = entry.indexOf('=');
    const key = eq > 0 ? entry.slice(0, eq).trim() : '';
    if (key === '') {
      problems.invalid(name, entry, 'key=value pairs separated by commas', 'the entry is skipped');
      continue;
    }
    try {
      result[key] = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      problems.invalid(name, entry, 'percent-encoded values', 'the entry is skipped');
    }
  }
  return result;
}

export function readList(env: Env, name: string): string[] | undefined {
  const raw = readString(env, name);
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** An absolute http(s) URL, or the fallback with a message. */
export function checkUrl(name: string, value: string, fallback: string, problems: ConfigProblems): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
  } catch {
    // reported below
  }
  problems.invalid(name, value, 'an absolute http:// or https:// URL', fallback);
  return fallback;
}
