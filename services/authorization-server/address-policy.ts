/**
 * Which network addresses the server may fetch from on a client's behalf (SSRF protection).
 * Link-local (cloud metadata services), unspecified, multicast, documentation, reserved and
 * NAT64 addresses are never allowed; loopback and private networks only when configured.
 * IPv4-mapped IPv6 addresses are judged as the IPv4 address they map (BlockList does so).
 */
import { BlockList, isIP } from 'node:net';

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
  ['0.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.0.2.0', 24, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['198.51.100.0', 24, 'ipv4'],
  ['203.0.113.0', 24, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['64:ff9b::', 96, 'ipv6'],
  ['100::', 64, 'ipv6'],
  ['2001:db8::', 32, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
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

export function classifyAddress(address: string): AddressKind {
  const version = isIP(address);
  if (version === 0) return 'forbidden';
  const type = version === 4 ? 'ipv4' : 'ipv6';
  if (NEVER.check(address, type)) return 'forbidden';
  if (LOOPBACK.check(address, type)) return 'loopback';
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
