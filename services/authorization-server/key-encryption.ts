/**
 * Signing keys' private parts at rest: AES-256-GCM under a key derived (HKDF-SHA-256) from the
 * key-encryption key of the configuration, with the key's `kid` as associated data, so a stored
 * key cannot be moved to another row. Stored as `v1.<iv>.<ciphertext>.<tag>` (base64url).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export class KeyDecryptionError extends Error {
  override name = 'KeyDecryptionError';
  readonly code = 'ERR_KEY_DECRYPTION';
}

export class KeyEncryption {
  readonly #key: Buffer;

  constructor(keyEncryptionKey: string) {
    this.#key = Buffer.from(hkdfSync('sha256', Buffer.from(keyEncryptionKey, 'utf8'), Buffer.alloc(0), 'mcp-secured-api signing keys', 32));
  }

  encrypt(plaintext: Buffer, kid: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv).setAAD(Buffer.from(kid, 'utf8'));
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return ['v1', iv, sealed, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  decrypt(stored: string, kid: string): Buffer {
    const [version, iv, sealed, tag] = stored.split('.');
    if (version !== 'v1' || !iv || sealed === undefined || !tag) throw new KeyDecryptionError(`The stored signing key ${kid} is malformed`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'))
        .setAAD(Buffer.from(kid, 'utf8'))
        .setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]);
    } catch {
      throw new KeyDecryptionError(
        `The stored signing key ${kid} cannot be decrypted with KEY_ENCRYPTION_KEY: it is not the key the signing keys were ` +
          'encrypted with. Give the server its original KEY_ENCRYPTION_KEY.',
      );
    }
  }
}
