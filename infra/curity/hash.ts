/**
 * Curity's hashed secrets: client secrets and the admin password as SHA-256 crypt (`$5$salt$hash`),
 * as `openssl passwd -5` writes them in Curity's own examples. The salt is a parameter, not random
 * here, so the same secret and salt always give the same value and a second deployment changes
 * nothing; targets keep a generated salt beside each secret.
 */
import { encrypt } from 'unixcrypt';

/** crypt(3)'s salt alphabet; SHA-256 crypt reads at most 16 characters of it. */
const SALT = /^[./0-9A-Za-z]{8,16}$/;

export class CurityHashError extends Error {
  static readonly code = 'ERR_CURITY_HASH_INPUT';
  readonly code = CurityHashError.code;
  override name = 'CurityHashError';
}

export function sha256Crypt(secret: string, salt: string): string {
  if (!SALT.test(salt)) {
    throw new CurityHashError(`The salt must be 8 to 16 characters of [./0-9A-Za-z] (crypt's alphabet), got ${salt.length} characters`);
  }
  if (!secret) throw new CurityHashError('The secret to hash is empty');
  return encrypt(secret, `$5$${salt}`);
}
