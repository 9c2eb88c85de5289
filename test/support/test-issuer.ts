/**
 * A small authorization server for tests, speaking the real protocols: PS256 keys generated with
 * `jose`, a JWKS endpoint at `<issuer>/jwks` and a token endpoint at `/oauth/v2/oauth-token` that
 * performs RFC 8693 token exchange for a confidential client. It issues access tokens shaped like
 * the product's authorization server's (RFC 9068, `typ: at+jwt`). Its behaviour can be degraded to
 * test how callers cope (slow or failing exchange, unavailable JWKS).
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { SignJWT, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import { listen } from './listen.ts';
import { GRANT_TYPE, parseBasicAuthorization, TOKEN_TYPE } from '@mcp-secured-api/contracts';

export interface TestUser {
  email: string;
  region: string;
}

export interface TestIssuerOptions {
  /** The MCP server's resource identifier: the audience of tokens users bring (more can be added later). */
  mcpResource: string;
  /** The API audience tokens are exchanged for. */
  apiAudience: string;
  scope?: string;
  /** The confidential client allowed to exchange tokens. */
  client?: { id: string; secret: string };
  accessTokenTtlSeconds?: number;
}

export interface IssueOptions {
  audience?: string;
  scope?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  /** Extra or overriding claims (set a claim to undefined to leave it out). */
  claims?: Record<string, unknown>;
  /** Extra or overriding protected-header parameters. */
  header?: Record<string, unknown>;
  /** Sign with another key (e.g. one the JWKS does not publish). */
  key?: CryptoKey;
}

/** One request the token endpoint received, as it arrived (for assertions). */
export interface ExchangeRecord {
  form: Record<string, string>;
  authorization: string | undefined;
  status: number;
}

export interface TestIssuer {
  origin: string;
  issuer: string;
  jwksUri: string;
  tokenEndpoint: string;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  client: { id: string; secret: string };
  scope: string;
  /** Audiences a subject token may have at the token endpoint; the first is the default of `issue`. */
  mcpResources: string[];
  /** Signs an access token for `user` (audience: the MCP resource unless told otherwise). */
  issue(user: TestUser, options?: IssueOptions): Promise<string>;
  exchanges: ExchangeRecord[];
  jwksRequests: number;
  /** Change to degrade the server; reset by assigning the defaults back. */
  behaviour: {
    /** Delay before the token endpoint answers, in milliseconds. */
    exchangeDelayMs: number;
    /** Answer every exchange with this status and an OAuth error instead of a token. */
    exchangeFailureStatus: number | undefined;
    /** Claims overriding those of exchanged tokens (e.g. another `aud` or `scope`, to provoke a refusal by the API). */
    exchangedClaims: Record<string, unknown> | undefined;
    /** Answer JWKS requests with 500. */
    jwksDown: boolean;
  };
  close(): Promise<void>;
}

export async function startTestIssuer(options: TestIssuerOptions): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('PS256', { extractable: true });
  const kid = randomUUID();
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'PS256', use: 'sig' };
  const client = options.client ?? { id: 'mcp-server-client', secret: 'test-secret with spaces & symbols=+/' };
  const scope = options.scope ?? 'stocks/read';
  const ttl = options.accessTokenTtlSeconds ?? 900;

  const app = new Hono();
  const listening = await listen(app);
  const origin = listening.url;
  const issuer = `${origin}/oauth/v2/oauth-anonymous`;

  const sign = (payload: JWTPayload, header: Record<string, unknown> = {}, key: CryptoKey = privateKey) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'PS256', typ: 'at+jwt', kid, ...header }).sign(key);

  const state: TestIssuer = {
    origin,
    issuer,
    jwksUri: `${issuer}/jwks`,
    tokenEndpoint: `${origin}/oauth/v2/oauth-token`,
    kid,
    privateKey,
    publicJwk,
    client,
    scope,
    mcpResources: [options.mcpResource],
    exchanges: [],
    jwksRequests: 0,
    behaviour: { exchangeDelayMs: 0, exchangeFailureStatus: undefined, exchangedClaims: undefined, jwksDown: false },
    async issue(user, issueOptions = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = {
        iss: issuer,
        sub: user.email,
        aud: issueOptions.audience ?? state.mcpResources[0],
        scope: issueOptions.scope ?? scope,
        iat: now,
        nbf: now,
        exp: now + (issueOptions.expiresIn ?? ttl),
        jti: randomUUID(),
        client_id: 'agent-client',
        region: user.region,
        client_type: 'mcp',
        client_assurance_level: 1,
        ...issueOptions.claims,
      };
      for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
      return sign(payload as JWTPayload, issueOptions.header, issueOptions.key);
    },
    close: () => listening.close(),
  };

  app.get('/oauth/v2/oauth-anonymous/jwks', (c) => {
    state.jwksRequests++;
    if (state.behaviour.jwksDown) return c.text('unavailable', 500);
    return c.json({ keys: [publicJwk] });
  });

  app.post('/oauth/v2/oauth-token', async (c) => {
    const form = Object.fromEntries(new URLSearchParams(await c.req.text())) as Record<string, string>;
    const authorization = c.req.header('authorization');
    const answer = (status: number, body: object) => {
      state.exchanges.push({ form, authorization, status });
      c.header('cache-control', 'no-store');
      return c.json(body, status as 200);
    };
    if (state.behaviour.exchangeDelayMs) await new Promise((r) => setTimeout(r, state.behaviour.exchangeDelayMs));
    if (state.behaviour.exchangeFailureStatus) {
      return answer(state.behaviour.exchangeFailureStatus, { error: 'server_error', error_description: 'degraded for a test' });
    }
    if (!isClient(authorization, client)) return answer(401, { error: 'invalid_client' });
    if (form.grant_type !== GRANT_TYPE.tokenExchange) return answer(400, { error: 'unsupported_grant_type' });
    if (form.subject_token_type !== TOKEN_TYPE.accessToken || !form.subject_token) return answer(400, { error: 'invalid_request' });
    if (form.audience !== options.apiAudience) return answer(400, { error: 'invalid_target' });
    let subject: JWTPayload;
    try {
      ({ payload: subject } = await jwtVerify(form.subject_token, publicKey, {
        issuer,
        audience: state.mcpResources,
        typ: 'at+jwt',
        algorithms: ['PS256'],
      }));
    } catch {
      return answer(400, { error: 'invalid_grant', error_description: 'the subject token is not valid' });
    }
    const now = Math.floor(Date.now() / 1000);
    const exp = subject.exp!; // never longer than the subject token
    const accessToken = await sign({
      ...subject,
      aud: options.apiAudience,
      iat: now,
      nbf: now,
      exp,
      jti: randomUUID(),
      act: { sub: client.id },
      ...state.behaviour.exchangedClaims,
    });
    return answer(200, {
      access_token: accessToken,
      issued_token_type: TOKEN_TYPE.accessToken,
      token_type: 'Bearer',
      expires_in: exp - now,
      scope: subject.scope,
    });
  });

  return state;
}

function isClient(authorization: string | undefined, client: { id: string; secret: string }): boolean {
  const credentials = parseBasicAuthorization(authorization);
  return credentials?.clientId === client.id && credentials.clientSecret === client.secret;
}
