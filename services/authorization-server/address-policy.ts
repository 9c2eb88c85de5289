/**
 * Which network addresses the server may fetch from on a client's behalf (SSRF protection).
 * Everything in IANA's special-purpose registries that is not globally reachable is non-public:
 * link-local (cloud metadata services), unspecified, multicast, documentation, benchmarking,
 * reserved and deprecated ranges are never allowed; loopback and private networks only when
 * configured. Addresses that carry an IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo) are judged by
 * the IPv4 address they carry, and a carried loopback address is never treated as local.
 */
import { BlockList, isIP, SocketAddress } from 'node:net';

export interface AddressPolicy {
  allowLoopback: boolean;
  allowPrivateNetworks: boolean;
}

function blockList(ranges: [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const list = new BlockList();
  for (const [net, prefix, type] of ranges) list.addSubnet(net, prefix, type);
  return list;
}

const NEVER = blockList([
  // IPv4 special-purpose registry (RFC 6890 and successors), less loopback and the private ranges.
  ['0.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.0.2.0', 24, 'ipv4'],
  ['192.88.99.0', 24, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['198.51.100.0', 24, 'ipv4'],
  ['203.0.113.0', 24, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  // IPv6 special-purpose registry (RFC 6890 and successors), less loopback, unique-local and the
  // ranges that carry an IPv4 address (judged by that address below).
  ['::', 96, 'ipv6'], // unspecified and the deprecated IPv4-compatible addresses (RFC 4291)
  ['64:ff9b:1::', 48, 'ipv6'], // local-use IPv4/IPv6 translation (RFC 8215)
  ['100::', 64, 'ipv6'], // discard-only (RFC 6666)
  ['100:0:0:1::', 64, 'ipv6'], // dummy prefix (RFC 9780)
  ['2001::', 23, 'ipv6'], // IETF protocol assignments, benchmarking, ORCHID (Teredo is judged below)
  ['2001:db8::', 32, 'ipv6'], // documentation (RFC 3849)
  ['3fff::', 20, 'ipv6'], // documentation (RFC 9637)
  ['5f00::', 16, 'ipv6'], // segment routing SIDs (RFC 9602)
  ['fe80::', 10, 'ipv6'], // link-local
  ['fec0::', 10, 'ipv6'], // deprecated site-local (RFC 3879)
  ['ff00::', 8, 'ipv6'], // multicast
]);
const LOOPBACK = blockList([
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
]);
const PRIVATE = blockList([
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['fc00::', 7, 'ipv6'],
]);

export type AddressKind = 'public' | 'loopback' | 'private' | 'forbidden';

/** The 16 bytes of an IPv6 address. */
function ipv6Bytes(address: string): Uint8Array {
  // SocketAddress normalises every textual form (zero compression, embedded dotted quads).
  const groups = expandIpv6(new SocketAddress({ address, family: 'ipv6' }).address);
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}

function expandIpv6(address: string): number[] {
  let text = address.replace(/%.*$/, '');
  const dotted = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => parseInt(g, 16));
}

const dottedQuad = (b: ArrayLike<number>) => Array.from(b).join('.');

/** The IPv4 address an IPv6 address carries by a transition mechanism, if it carries one. */
export function embeddedIpv4(address: string): string | undefined {
  const b = ipv6Bytes(address);
  const starts = (...prefix: number[]) => prefix.every((v, i) => b[i] === v);
  // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052): the last 32 bits.
  if (starts(0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0)) return dottedQuad(b.subarray(12));
  // 6to4 2002::/16 (RFC 3056): bits 16 to 47.
  if (starts(0x20, 0x02)) return dottedQuad(b.subarray(2, 6));
  // Teredo 2001::/32 (RFC 4380): the client's address, the last 32 bits inverted.
  if (starts(0x20, 0x01, 0x00, 0x00)) return dottedQuad(Array.from(b.subarray(12)).map((x) => x ^ 0xff));
  return undefined;
}

export function classifyAddress(address: string): AddressKind {
  const version = isIP(address);
  if (version === 0) return 'forbidden';
  if (version === 6) {
    const carried = embeddedIpv4(address);
    if (carried !== undefined) {
      const kind = classifyAddress(carried);
      // A tunnelled loopback address is not this machine's loopback: never a development exception.
      return kind === 'loopback' ? 'forbidden' : kind;
    }
  }
  // BlockList judges IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) by the IPv4 address they map.
  const type = version === 4 ? 'ipv4' : 'ipv6';
  // Loopback first: ::1 lies inside the IPv4-compatible range that NEVER holds.
  if (LOOPBACK.check(address, type)) return 'loopback';
  if (NEVER.check(address, type)) return 'forbidden';
  if (PRIVATE.check(address, type)) return 'private';
  return 'public';
}

/** Why the address may not be contacted, or undefined when it may. */
export function addressProblem(address: string, policy: AddressPolicy): string | undefined {
  const kind = classifyAddress(address);
  if (kind === 'public') return undefined;
  if (kind === 'loopback' && policy.allowLoopback) return undefined;
  if (kind === 'private' && policy.allowPrivateNetworks) return undefined;
  return `${address} is a ${kind === 'forbidden' ? 'reserved or link-local' : kind} address`;
}
