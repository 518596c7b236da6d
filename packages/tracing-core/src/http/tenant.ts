import type { TenantOptions } from './types.ts';

export type TenantRejection = 'too_long' | 'invalid_characters' | 'empty';

export interface TenantRules {
  readonly tenantHeader: string;
  readonly userHeader: string;
  readonly maxLength: number;
  readonly pattern: RegExp;
  readonly propagate: boolean;
  readonly metricLabel: boolean;
  readonly maxTenantLabels: number;
}

const DEFAULT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;

export function normalizeTenantOptions(
  options: boolean | TenantOptions | undefined,
): TenantRules | undefined {
  if (options === false) return undefined;
  const given = options === true || options === undefined ? {} : options;
  const maxLength = given.maxLength ?? 128;
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new TypeError(`tenant.maxLength must be a positive integer, got ${String(given.maxLength)}`);
  }
  return {
    tenantHeader: (given.tenantHeader ?? 'x-tenant-id').toLowerCase(),
    userHeader: (given.userHeader ?? 'x-user-id').toLowerCase(),
    maxLength,
    pattern: given.pattern ?? DEFAULT_PATTERN,
    propagate: given.propagate ?? true,
    metricLabel: given.metricLabel ?? false,
    maxTenantLabels: given.maxTenantLabels ?? 100,
  };
}

/**
 * Checks a tenant or user value. Node hands header bytes over as latin-1 and joins a repeated
 * header with ", ", so both show up here as characters outside the pattern and are rejected.
 */
export function checkTenantValue(value: string, rules: TenantRules): TenantRejection | undefined {
  if (value.length === 0) return 'empty';
  if (value.length > rules.maxLength) return 'too_long';
  if (!rules.pattern.test(value)) return 'invalid_characters';
  return undefined;
}
