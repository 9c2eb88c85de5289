import { hash } from 'node:crypto';

/**
 * SHA-256 (base64url) of a bearer value: the only form in which caches and stores keep tokens,
 * codes and client secrets, so that a memory dump or a copy of the database holds nothing usable.
 * One-shot `hash`, not `createHash`: it runs on every request that carries a token.
 */
export function tokenHash(value: string): string {
  return hash('sha256', value, 'base64url');
}
