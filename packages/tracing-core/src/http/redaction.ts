/** Query keys whose values never reach a span: signatures, tokens, passwords and their kin. */
const SENSITIVE_QUERY_KEYS = [
  'sig',
  'signature',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'awsaccesskeyid',
  'x-goog-signature',
  'x-goog-credential',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'api_key',
  'apikey',
  'api-key',
  'key',
  'password',
  'passwd',
  'pwd',
  'secret',
  'client_secret',
  'auth',
  'authorization',
  'session',
  'sessionid',
  'code',
];

/** Headers that are credentials: never recorded, whatever `captureRequestHeaders` says. */
const CREDENTIAL_HEADER = /authorization|cookie|token|secret|password|api-?key|session|credential/i;

export function sensitiveQueryKeys(extra: readonly string[] = []): ReadonlySet<string> {
  return new Set([...SENSITIVE_QUERY_KEYS, ...extra.map((key) => key.toLowerCase())]);
}

/**
 * The query string with the values of sensitive keys replaced by `REDACTED`. Works on the raw
 * text, so everything else stays byte for byte as the client sent it.
 */
export function redactQuery(query: string, sensitive: ReadonlySet<string>): string {
  const pairs = query.split('&');
  let changed = false;
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i]!;
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    let key = pair.slice(0, eq);
    try {
      key = decodeURIComponent(key.replace(/\+/g, ' '));
    } catch {
      // an undecodable key is compared as sent
    }
    if (sensitive.has(key.toLowerCase())) {
      pairs[i] = `${pair.slice(0, eq)}=REDACTED`;
      changed = true;
    }
  }
  return changed ? pairs.join('&') : query;
}

/** The configured header names that may be recorded, lower-cased, credentials removed. */
export function capturableHeaders(requested: readonly string[] = []): {
  allowed: string[];
  refused: string[];
} {
  const allowed: string[] = [];
  const refused: string[] = [];
  for (const name of requested) {
    const lower = name.toLowerCase();
    (CREDENTIAL_HEADER.test(lower) ? refused : allowed).push(lower);
  }
  return { allowed, refused };
}
