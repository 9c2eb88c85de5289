/**
 * The signing keys: key pairs for the configured algorithm (ES256 by default; EdDSA or PS256) kept
 * in the database (private parts encrypted), published in the JWKS with a `kid` and an `alg` each,
 * shared by every instance on the database. Each token is signed with the algorithm of the key
 * that signs it, so keys made for another algorithm keep working until they are replaced; opening
 * with another algorithm than the signing key's replaces it, as a rotation does.
 *
 * Rotation signs with a new key and keeps the previous one published until the tokens it signed
 * have expired. It is a compare-and-swap under a database
 * lock: "replace key X" creates a key only while X still signs, so instances asked to rotate at
 * the same time make one new key, and the first instances on an empty database make one first key.
 * A new key is stored before anything is signed with it; the JWKS reads the database again when it
 * may be behind (at most once a second), and every instance re-reads it periodically to sign with
 * the newest key.
 */
import { createHash, createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT, type JWK, type JWTPayload } from 'jose';
import type { TokenSigningAlgorithm } from '@mcp-secured-api/contracts';
import type { Logger } from './context.ts';
import type { KeyEncryption } from './key-encryption.ts';
import type { Store, StoredSigningKey } from './store.ts';

const generate = promisify(generateKeyPair);

/** The key pair each algorithm signs with. */
const NEW_KEY_PAIR: Record<TokenSigningAlgorithm, () => Promise<{ privateKey: KeyObject; publicKey: KeyObject }>> = {
  ES256: () => generate('ec', { namedCurve: 'P-256' }),
  EdDSA: () => generate('ed25519'),
  PS256: () => generate('rsa', { modulusLength: 2048 }),
};

export const ACCESS_TOKEN_TYP = 'at+jwt';
/** How often an instance re-reads the keys to start signing with one another instance made. */
export const KEY_RELOAD_INTERVAL_MS = 30_000;
/** Reloads caused by requests (an unknown `kid`, a JWKS request) happen at most this often. */
const ON_DEMAND_RELOAD_MS = 1_000;

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  /** With its `alg`: the JWS algorithm this key signs with. */
  publicJwk: JWK & { alg: string };
  expiresAt?: number;
}

export interface SigningKeysOptions {
  store: Store;
  /** The algorithm new keys are made for. */
  algorithm: TokenSigningAlgorithm;
  encryption: KeyEncryption;
  /** How long tokens live at most: how long a replaced key stays published (plus a minute). */
  maxTokenLifetimeSeconds: number;
  now: () => number;
  log: Logger;
}

async function newKeyPair(algorithm: TokenSigningAlgorithm): Promise<{ kid: string; privateKey: KeyObject; publicKey: KeyObject }> {
  const { privateKey, publicKey } = await NEW_KEY_PAIR[algorithm]();
  const kid = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url');
  return { kid, privateKey, publicKey };
}

export class SigningKeys {
  #keys: SigningKey[] = [];
  #jwks = '{"keys":[]}';
  #loadedAt = 0;
  #loading: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  private constructor(private readonly options: SigningKeysOptions) {}

  /** Loads the keys, creating the first one when the database has none. */
  static async open(options: SigningKeysOptions): Promise<SigningKeys> {
    const keys = new SigningKeys(options);
    const current = (await options.store.signingKeys.list(options.now())).find((k) => k.expiresAt === undefined);
    if (!current) {
      await keys.#replace(undefined);
    } else if (current.publicJwk.alg !== options.algorithm && (await keys.#replace(current.kid))) {
      options.log.info(
        `signing key ${current.kid} signs ${String(current.publicJwk.alg)} but ${options.algorithm} is configured: ` +
          `signing with a new ${options.algorithm} key; the previous one stays published until its tokens expire`,
      );
    }
    await keys.reload();
    keys.#timer = setInterval(() => {
      keys.reload().catch((error: Error) => options.log.error(`Could not reload the signing keys: ${error.message}`));
    }, KEY_RELOAD_INTERVAL_MS);
    keys.#timer.unref();
    return keys;
  }

  close(): void {
    clearInterval(this.#timer);
  }

  /**
   * Creates a new signing key unless `expected` no longer signs (another instance replaced it):
   * returns whether this call made the key.
   */
  async #replace(expected: string | undefined): Promise<boolean> {
    const { store, encryption, now, maxTokenLifetimeSeconds, algorithm } = this.options;
    const pair = await newKeyPair(algorithm);
    return store.transaction(async (tx) => {
      await tx.signingKeys.lock();
      const current = (await tx.signingKeys.list(now())).find((k) => k.expiresAt === undefined);
      if (current?.kid !== expected) return false;
      const publicJwk = { ...(pair.publicKey.export({ format: 'jwk' }) as JWK), kid: pair.kid, alg: algorithm, use: 'sig' };
      const der = pair.privateKey.export({ type: 'pkcs8', format: 'der' });
      await tx.signingKeys.insert({ kid: pair.kid, publicJwk, privateKey: encryption.encrypt(der, pair.kid), createdAt: now() });
      // Tokens signed until now live at most this long; a minute more for clocks and caches.
      await tx.signingKeys.retireAllBut(pair.kid, now() + maxTokenLifetimeSeconds + 60);
      return true;
    });
  }

  /** Signs with a new key from now on; the previous stays published until its tokens expire. */
  async rotate(): Promise<boolean> {
    const made = await this.#replace(this.#keys[0]?.kid);
    await this.reload();
    return made;
  }

  /** Reads the keys from the database (concurrent calls share one read). */
  reload(): Promise<void> {
    this.#loading ??= this.#load().finally(() => (this.#loading = undefined));
    return this.#loading;
  }

  async #load(): Promise<void> {
    const stored = await this.options.store.signingKeys.list(this.options.now());
    const known = new Map(this.#keys.map((k) => [k.kid, k]));
    const keys = stored.map((s) => ({ ...(known.get(s.kid) ?? this.#decrypt(s)), expiresAt: s.expiresAt }));
    // The key that signs first: the newest without an expiry.
    keys.sort((a, b) => Number(a.expiresAt !== undefined) - Number(b.expiresAt !== undefined));
    this.#keys = keys;
    this.#jwks = JSON.stringify({ keys: keys.map((k) => k.publicJwk) });
    this.#loadedAt = Date.now();
  }

  #decrypt(stored: StoredSigningKey): SigningKey {
    const privateKey = createPrivateKey({
      key: this.options.encryption.decrypt(stored.privateKey, stored.kid),
      format: 'der',
      type: 'pkcs8',
    });
    const publicJwk = stored.publicJwk as JWK;
    if (!publicJwk.alg) throw new Error(`Signing key ${stored.kid} in the database has no alg: it was not made by this server`);
    return { kid: stored.kid, privateKey, publicJwk: { ...publicJwk, alg: publicJwk.alg } };
  }

  /** Reloads when the last read is older than a second; a failed read keeps what was known. */
  async #refreshIfStale(): Promise<void> {
    if (Date.now() - this.#loadedAt < ON_DEMAND_RELOAD_MS) return;
    await this.reload().catch((error: Error) => this.options.log.error(`Could not reload the signing keys: ${error.message}`));
  }

  get currentKid(): string {
    return this.#current().kid;
  }

  /** The JWKS document: every key not yet expired, as the database has them. */
  async jwks(): Promise<string> {
    await this.#refreshIfStale();
    this.#prune();
    return this.#jwks;
  }

  async sign(claims: JWTPayload): Promise<string> {
    const key = this.#current();
    return new SignJWT(claims).setProtectedHeader({ alg: key.publicJwk.alg, typ: ACCESS_TOKEN_TYP, kid: key.kid }).sign(key.privateKey);
  }

  #current(): SigningKey {
    const key = this.#keys[0];
    if (!key) throw new Error('No signing key: open() creates one');
    return key;
  }

  #expired(key: SigningKey): boolean {
    return key.expiresAt !== undefined && key.expiresAt <= this.options.now();
  }

  #prune(): void {
    if (!this.#keys.some((k) => this.#expired(k))) return;
    this.#keys = this.#keys.filter((k) => !this.#expired(k));
    this.#jwks = JSON.stringify({ keys: this.#keys.map((k) => k.publicJwk) });
  }
}
