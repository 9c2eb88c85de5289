/**
 * The signing keys: PS256 key pairs generated in memory, published in the JWKS with a `kid` each.
 * Rotation signs with a new key and keeps the previous one published (and accepted for token
 * exchange) until the tokens it signed have expired. Keys are made once, never per request
 * (jose keeps its own form of each key after the first use).
 */
import { createHash, generateKeyPair, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { jwtVerify, SignJWT, type JWK, type JWTPayload, type JWTVerifyOptions } from 'jose';

const generateRsaKeyPair = promisify(generateKeyPair);
const RSA = { modulusLength: 2048 } as const;

export const SIGNING_ALGORITHM = 'PS256';
export const ACCESS_TOKEN_TYP = 'at+jwt';

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JWK;
  /** When a retired key stops being published (seconds since the epoch). */
  retireAt?: number;
}

export class SigningKeys {
  #keys: SigningKey[] = [];
  #jwks = '{"keys":[]}';

  /** Starts with one key, generated synchronously so that the server can answer at once. */
  constructor(
    /** How long tokens live at most: how long a replaced key stays published. */
    private readonly maxTokenLifetimeSeconds: number,
    private readonly now: () => number,
  ) {
    this.#add(generateKeyPairSync('rsa', RSA));
  }

  /** Signs with a new key from now on; the previous stays published until its tokens expire. */
  async rotate(): Promise<void> {
    const pair = await generateRsaKeyPair('rsa', RSA);
    const previous = this.#keys[0];
    // Tokens signed until now live at most this long; a minute more for clocks and caches.
    if (previous) previous.retireAt = this.now() + this.maxTokenLifetimeSeconds + 60;
    this.#add(pair);
  }

  #add({ privateKey, publicKey }: { privateKey: KeyObject; publicKey: KeyObject }): void {
    const kid = createHash('sha256')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('base64url');
    const jwk = publicKey.export({ format: 'jwk' }) as JWK;
    this.#keys = [{ kid, privateKey, publicKey, publicJwk: { ...jwk, kid, alg: SIGNING_ALGORITHM, use: 'sig' } }, ...this.#keys];
    this.#prune(true);
  }

  get currentKid(): string {
    return this.#current().kid;
  }

  /** The JWKS document, serialised once per change. */
  jwks(): string {
    this.#prune();
    return this.#jwks;
  }

  async sign(claims: JWTPayload): Promise<string> {
    const key = this.#current();
    return new SignJWT(claims).setProtectedHeader({ alg: SIGNING_ALGORITHM, typ: ACCESS_TOKEN_TYP, kid: key.kid }).sign(key.privateKey);
  }

  /** Verifies a token this server signed: PS256 only, `at+jwt`, a published `kid`, `exp` required. */
  async verify(token: string, options: Pick<JWTVerifyOptions, 'issuer' | 'audience'>) {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = this.#keys.find((k) => k.kid === header.kid && !this.#retired(k));
        if (!key) throw new Error('the token was not signed by a key this server publishes');
        return key.publicKey;
      },
      {
        ...options,
        algorithms: [SIGNING_ALGORITHM],
        typ: ACCESS_TOKEN_TYP,
        requiredClaims: ['exp', 'iat', 'jti', 'sub', 'scope'],
        currentDate: new Date(this.now() * 1000),
        clockTolerance: 5,
      },
    );
    return payload;
  }

  #current(): SigningKey {
    const key = this.#keys[0];
    if (!key) throw new Error('No signing key: call rotate() once before issuing tokens');
    return key;
  }

  #retired(key: SigningKey): boolean {
    return key.retireAt !== undefined && key.retireAt <= this.now();
  }

  #prune(changed = false): void {
    const before = this.#keys.length;
    this.#keys = this.#keys.filter((k) => !this.#retired(k));
    if (changed || before !== this.#keys.length) {
      this.#jwks = JSON.stringify({ keys: this.#keys.map((k) => k.publicJwk) });
    }
  }
}
