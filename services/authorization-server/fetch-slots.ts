/**
 * Slots for outgoing fetches, shared fairly: at most `total` at once, at most `perSource` for one
 * requesting address and at most `perHost` to one host. So one source, however many slow
 * documents it names, holds a bounded share and leaves the rest to others; and no host, however
 * many sources name it, gets more than its share of requests from us.
 */

export interface FetchSlotLimits {
  total: number;
  perSource: number;
  perHost: number;
}

/** Which limit refused a slot. */
export type SlotRefusal = 'total' | 'source' | 'host';

export class FetchSlots {
  readonly #bySource = new Map<string, number>();
  readonly #byHost = new Map<string, number>();
  #inUse = 0;

  constructor(private readonly limits: FetchSlotLimits) {
    if (!(limits.total > 0 && limits.perSource > 0 && limits.perHost > 0)) throw new Error('FetchSlots: every limit must be positive');
  }

  /** Takes a slot for `source` fetching from `host`: its release function, or which limit refused it. */
  take(source: string, host: string): (() => void) | SlotRefusal {
    if (this.#inUse >= this.limits.total) return 'total';
    if ((this.#bySource.get(source) ?? 0) >= this.limits.perSource) return 'source';
    if ((this.#byHost.get(host) ?? 0) >= this.limits.perHost) return 'host';
    this.#inUse++;
    add(this.#bySource, source, 1);
    add(this.#byHost, host, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inUse--;
      add(this.#bySource, source, -1);
      add(this.#byHost, host, -1);
    };
  }

  get inUse(): number {
    return this.#inUse;
  }
}

/** Counts per key, with no entry kept for a count of zero (the maps stay as small as the traffic). */
function add(counts: Map<string, number>, key: string, delta: number): void {
  const next = (counts.get(key) ?? 0) + delta;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}
