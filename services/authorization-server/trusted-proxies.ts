/**
 * The proxies whose X-Forwarded-For the server believes: addresses, CIDR ranges, or host names
 * (the gateway's name on a container network, or a headless Service listing the gateway's pods),
 * which are resolved in the background and again when their answer is older than `refreshMs`.
 * The client's address is then the rightmost X-Forwarded-For entry that is not a trusted proxy, and
 * only when the connection itself comes from one; anyone else's X-Forwarded-For is ignored.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

// A DNS name: letters, digits and hyphens in dot-separated labels.
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

type Entry =
  | { kind: 'address'; address: string; family: 'ipv4' | 'ipv6' }
  | { kind: 'subnet'; network: string; prefix: number; family: 'ipv4' | 'ipv6' }
  | { kind: 'name'; name: string };

/** One entry of the list, or undefined when it is none of an address, a CIDR range or a host name. */
export function parseProxyEntry(text: string): Entry | undefined {
  const entry = text.trim();
  const slash = entry.indexOf('/');
  if (slash >= 0) {
    const network = entry.slice(0, slash);
    const prefixText = entry.slice(slash + 1);
    const version = isIP(network);
    const prefix = Number(prefixText);
    if (!version || !/^\d{1,3}$/.test(prefixText) || prefix > (version === 4 ? 32 : 128)) return undefined;
    return { kind: 'subnet', network, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
  }
  const version = isIP(entry);
  if (version) return { kind: 'address', address: entry, family: version === 4 ? 'ipv4' : 'ipv6' };
  if (HOST_NAME.test(entry) && !/^[\d.]+$/.test(entry)) return { kind: 'name', name: entry.toLowerCase() };
  return undefined;
}

export const PROXY_ENTRY_MESSAGE = 'must be an IP address (10.0.0.5), a CIDR range (10.0.0.0/24) or a host name (api-gateway)';

/** An IPv4 address written as IPv6 (::ffff:127.0.0.1, as a dual-stack socket reports it) is that IPv4 address. */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed);
  return mapped ? mapped[1]! : trimmed;
}

export interface TrustedProxiesOptions {
  /** Resolves a host name to its addresses; default: the system resolver (all addresses). */
  resolve?: (name: string) => Promise<string[]>;
  /** How long resolved addresses are used before they are resolved again. Default 10 s. */
  refreshMs?: number;
  /** Milliseconds; tests move it. */
  now?: () => number;
}

const systemResolve = async (name: string) => (await lookup(name, { all: true })).map((a) => a.address);

export class TrustedProxies {
  readonly #ranges = new BlockList();
  readonly #names: string[] = [];
  readonly #resolve: (name: string) => Promise<string[]>;
  readonly #refreshMs: number;
  readonly #now: () => number;
  /** Each name's addresses as last resolved. */
  readonly #byName = new Map<string, string[]>();
  #resolved = new Set<string>();
  #resolvedAt = -Infinity;
  #resolving: Promise<void> | undefined;

  /** Throws a TypeError naming an entry that is none of an address, a range or a host name. */
  constructor(entries: readonly string[], options: TrustedProxiesOptions = {}) {
    this.#resolve = options.resolve ?? systemResolve;
    this.#refreshMs = options.refreshMs ?? 10_000;
    this.#now = options.now ?? Date.now;
    for (const text of entries) {
      const entry = parseProxyEntry(text);
      if (!entry) throw new TypeError(`Trusted proxy "${text}" ${PROXY_ENTRY_MESSAGE}`);
      if (entry.kind === 'address') this.#ranges.addAddress(entry.address, entry.family);
      else if (entry.kind === 'subnet') this.#ranges.addSubnet(entry.network, entry.prefix, entry.family);
      else this.#names.push(entry.name);
    }
    if (this.#names.length) void this.refresh();
  }

  /** Whether a connection from `address` comes from a trusted proxy. */
  trusts(address: string): boolean {
    const a = normalizeAddress(address);
    const version = isIP(a);
    if (!version) return false;
    if (this.#ranges.check(a, version === 4 ? 'ipv4' : 'ipv6')) return true;
    if (!this.#names.length) return false;
    if (this.#now() - this.#resolvedAt > this.#refreshMs) void this.refresh();
    return this.#resolved.has(a);
  }

  /**
   * Resolves the host names again (one resolution at a time). A name that has never resolved (the
   * gateway not started yet) trusts nothing; one that fails to resolve again keeps its last
   * addresses, so a passing DNS failure does not count every client as the gateway.
   */
  refresh(): Promise<void> {
    this.#resolving ??= (async () => {
      await Promise.all(
        this.#names.map(async (name) => {
          try {
            this.#byName.set(name, (await this.#resolve(name)).map(normalizeAddress));
          } catch {
            // keeps what it had
          }
        }),
      );
      this.#resolved = new Set([...this.#byName.values()].flat());
      this.#resolvedAt = this.#now();
    })().finally(() => (this.#resolving = undefined));
    return this.#resolving;
  }

  /**
   * The client's address: the peer's, unless the peer is a trusted proxy; then, walking
   * X-Forwarded-For from the right, the first entry that is not a trusted proxy (or the leftmost
   * when all are). An entry that is not an address ends the walk at the proxy that passed it on.
   */
  clientAddress(peer: string, forwardedFor: string | undefined): string {
    let address = normalizeAddress(peer);
    if (!forwardedFor || !this.trusts(address)) return address;
    const hops = forwardedFor.split(',').map(normalizeAddress).filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (!isIP(hop)) return address;
      address = hop;
      if (!this.trusts(hop)) return hop;
    }
    return address;
  }
}
