import { type Baggage, type BaggageEntry, propagation } from '@opentelemetry/api';

/**
 * The baggage a request from outside carries on: its validated tenant and user, nothing else. The
 * API's `createBaggage` builds two Maps from iterables for that, about 0.3 µs a request (a tenth of
 * an unsampled request's tracing work); this keeps the two values as they are. Reading it is reading
 * the API's baggage of the same entries; any change returns the API's own kind with the change made.
 */
export class TenantBaggage implements Baggage {
  readonly #tenantId: string | undefined;
  readonly #userId: string | undefined;

  constructor(tenantId: string | undefined, userId: string | undefined) {
    this.#tenantId = tenantId;
    this.#userId = userId;
  }

  getEntry(key: string): BaggageEntry | undefined {
    const value = key === 'tenant.id' ? this.#tenantId : key === 'user.id' ? this.#userId : undefined;
    return value === undefined ? undefined : { value };
  }

  getAllEntries(): [string, BaggageEntry][] {
    const entries: [string, BaggageEntry][] = [];
    if (this.#tenantId !== undefined) entries.push(['tenant.id', { value: this.#tenantId }]);
    if (this.#userId !== undefined) entries.push(['user.id', { value: this.#userId }]);
    return entries;
  }

  setEntry(key: string, entry: BaggageEntry): Baggage {
    return this.#copy().setEntry(key, entry);
  }

  removeEntry(key: string): Baggage {
    return this.#copy().removeEntry(key);
  }

  removeEntries(...keys: string[]): Baggage {
    return this.#copy().removeEntries(...keys);
  }

  clear(): Baggage {
    return propagation.createBaggage();
  }

  #copy(): Baggage {
    return propagation.createBaggage(Object.fromEntries(this.getAllEntries()));
  }
}
