/**
 * Compiles route patterns once: `/models/:id` matches one segment per parameter, a trailing `*`
 * matches any rest (including nothing), everything else is literal. Matching then costs one
 * regular-expression test per pattern on the hot path.
 */
export interface PathMatcher<T> {
  match(path: string): T | undefined;
}

export function compilePathPatterns<T>(
  entries: Iterable<readonly [pattern: string, value: T]>,
): PathMatcher<T> {
  const exact = new Map<string, T>();
  // By length first: most request paths match no exact entry, and skip hashing the path at all.
  const exactLengths: boolean[] = [];
  const patterns: Array<{ regex: RegExp; value: T }> = [];
  for (const [pattern, value] of entries) {
    if (!pattern.includes(':') && !pattern.includes('*')) {
      const path = stripTrailingSlash(pattern);
      exact.set(path, value);
      exactLengths[path.length] = true;
      continue;
    }
    const source = pattern
      .split('/')
      .map((segment) => {
        if (segment === '*') return '.*';
        if (segment.startsWith(':')) return '[^/]+';
        if (segment.endsWith('*')) return `${escapeRegExp(segment.slice(0, -1))}.*`;
        return escapeRegExp(segment);
      })
      .join('/');
    patterns.push({ regex: new RegExp(`^${source.replace(/\/\.\*$/, '(?:/.*)?')}/?$`), value });
  }
  return {
    match(path: string): T | undefined {
      const stripped = stripTrailingSlash(path);
      if (exactLengths[stripped.length] === true) {
        const hit = exact.get(stripped);
        if (hit !== undefined) return hit;
      }
      for (const { regex, value } of patterns) if (regex.test(path)) return value;
      return undefined;
    },
  };
}

function stripTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
