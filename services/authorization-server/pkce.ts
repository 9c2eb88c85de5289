/**
 * PKCE (RFC 7636), S256 only: `plain` and missing challenges are refused when the code is requested.
 */
import { createHash } from 'node:crypto';
import { sameText } from './same-text.ts';

/** 43–128 characters of the unreserved set (RFC 7636 §4.1); an S256 challenge is exactly 43. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const S256_CHALLENGE = /^[A-Za-z0-9\-_]{43}$/;

export function isValidS256Challenge(challenge: string): boolean {
  return S256_CHALLENGE.test(challenge);
}

export function verifierMatches(verifier: string, challenge: string): boolean {
  if (!VERIFIER.test(verifier)) return false;
  return sameText(createHash('sha256').update(verifier, 'ascii').digest('base64url'), challenge);
}
