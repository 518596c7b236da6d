import { type Baggage, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { W3CBaggagePropagator } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { TenantBaggage } from './tenant-baggage.ts';

const cases: Array<[string, string | undefined, string | undefined]> = [
  ['tenant and user', 'acme', 'u-7'],
  ['tenant only', 'acme', undefined],
  ['user only', undefined, 'u-7'],
];

/** The API's own baggage holding the same entries, in the same order. */
function apiBaggage(tenantId: string | undefined, userId: string | undefined): Baggage {
  return propagation.createBaggage({
    ...(tenantId === undefined ? {} : { 'tenant.id': { value: tenantId } }),
    ...(userId === undefined ? {} : { 'user.id': { value: userId } }),
  });
}

const sentHeader = (baggage: Baggage): string | undefined => {
  const carrier: Record<string, string> = {};
  new W3CBaggagePropagator().inject(propagation.setBaggage(ROOT_CONTEXT, baggage), carrier, {
    set: (headers, key, value) => {
      headers[key] = value;
    },
  });
  return carrier.baggage;
};

describe.each(cases)('TenantBaggage with %s', (_name, tenantId, userId) => {
  const ours = new TenantBaggage(tenantId, userId);
  const theirs = apiBaggage(tenantId, userId);

  it('reads as the API baggage of the same entries, and hands out copies', () => {
    expect(ours.getAllEntries()).toEqual(theirs.getAllEntries());
    for (const key of ['tenant.id', 'user.id', 'region', '__proto__'])
      expect(ours.getEntry(key)).toEqual(theirs.getEntry(key));
    const entry = ours.getEntry(tenantId === undefined ? 'user.id' : 'tenant.id')!;
    entry.value = 'changed by a reader';
    expect(ours.getAllEntries()).toEqual(theirs.getAllEntries());
  });

  it('goes out on the wire as the same W3C baggage header', () => {
    expect(sentHeader(ours)).toBe(sentHeader(theirs));
    expect(sentHeader(ours)).toContain(tenantId === undefined ? 'user.id=u-7' : 'tenant.id=acme');
  });

  it('changes into the API kind with the change made, and stays as it was', () => {
    const before = ours.getAllEntries();
    expect(ours.setEntry('region', { value: 'eu' }).getAllEntries()).toEqual(
      theirs.setEntry('region', { value: 'eu' }).getAllEntries(),
    );
    expect(ours.setEntry('tenant.id', { value: 'globex' }).getAllEntries()).toEqual(
      theirs.setEntry('tenant.id', { value: 'globex' }).getAllEntries(),
    );
    expect(ours.removeEntry('tenant.id').getAllEntries()).toEqual(
      theirs.removeEntry('tenant.id').getAllEntries(),
    );
    expect(ours.removeEntries('tenant.id', 'user.id').getAllEntries()).toEqual([]);
    expect(ours.clear().getAllEntries()).toEqual([]);
    expect(ours.getAllEntries()).toEqual(before);
  });
});
