/**
 * What signing and verifying an access token costs with each algorithm Curity and `jose` both
 * support for it, measured the way the chain does it (`jose` with Node's keys, claims like the
 * built-in server's): the CPU each takes, and how long a caller waits for it one at a time (jose
 * hands the work to Node's thread pool, so the wait is longer than the CPU). A cold tool call
 * signs once (the exchanged token) and verifies twice (MCP server, stocks API); a warm one does
 * neither.
 */
import { generateKeyPairSync } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';

export const ALGORITHMS = ['PS256', 'ES256', 'EdDSA'] as const;

const KEYS = {
  PS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  EdDSA: () => generateKeyPairSync('ed25519'),
};

export interface SigningCost {
  /** CPU per signature. */
  signMs: number;
  /** CPU per verification. */
  verifyMs: number;
  /** Median wait for one signature, one at a time. */
  signWaitMs: number;
  /** Median wait for one verification, one at a time. */
  verifyWaitMs: number;
  /** One signature's wait and two verifications': what the algorithm adds to a cold tool call. */
  coldCallMs: number;
  tokenLength: number;
}

export async function measureSigning(iterations = 1000): Promise<Record<(typeof ALGORITHMS)[number], SigningCost>> {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: 'https://login.demo.example/oauth/v2/oauth-anonymous',
    sub: 'john.doe@demo.example',
    aud: 'https://api.demo.example',
    scope: 'stocks/read',
    exp: now + 900,
    iat: now,
    nbf: now,
    jti: '5f0c0b53-7d0e-4a47-9f0c-1c0a4c7c9b21',
    client_id: '3b3f2c1e-5d6a-4b7c-8d9e-0f1a2b3c4d5e',
    region: 'USA',
    client_type: 'mcp',
    client_assurance_level: 1,
    act: { sub: 'mcp-server-client' },
  };
  const cpuMs = async (work: () => Promise<unknown>): Promise<number> => {
    for (let i = 0; i < iterations / 10; i++) await work();
    const start = process.cpuUsage();
    for (let i = 0; i < iterations; i++) await work();
    const used = process.cpuUsage(start);
    return round3((used.user + used.system) / 1000 / iterations);
  };
  const waitMs = async (work: () => Promise<unknown>): Promise<number> => {
    const waits: number[] = [];
    for (let i = 0; i < iterations / 2; i++) {
      const start = performance.now();
      await work();
      waits.push(performance.now() - start);
    }
    return round3(waits.sort((a, b) => a - b)[Math.floor(waits.length / 2)]!);
  };
  const results = {} as Record<(typeof ALGORITHMS)[number], SigningCost>;
  for (const alg of ALGORITHMS) {
    const { privateKey, publicKey } = KEYS[alg]();
    const sign = () => new SignJWT(claims).setProtectedHeader({ alg, typ: 'at+jwt', kid: 'k' }).sign(privateKey);
    const token = await sign();
    const verify = () => jwtVerify(token, publicKey, { algorithms: [alg], typ: 'at+jwt' });
    const signMs = await cpuMs(sign);
    const verifyMs = await cpuMs(verify);
    const signWaitMs = await waitMs(sign);
    const verifyWaitMs = await waitMs(verify);
    results[alg] = {
      signMs,
      verifyMs,
      signWaitMs,
      verifyWaitMs,
      coldCallMs: round3(signWaitMs + 2 * verifyWaitMs),
      tokenLength: token.length,
    };
  }
  return results;
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
