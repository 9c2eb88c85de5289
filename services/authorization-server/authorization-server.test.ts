import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { listen, type Listening } from '../../test/support/listen.ts';
import { Hono } from 'hono';
import { AS_PATHS, GRANT_TYPE, TOKEN_TYPE } from '@mcp-secured-api/contracts';
import { startMaildev, type Maildev } from '../../test/support/maildev.ts';
import {
  API_AUDIENCE,
  codeRequest,
  GATEWAY_CLIENT,
  MCP_CLIENT,
  MCP_RESOURCE,
  postForm,
  registerClient,
  startTestAuthorizationServer,
  TEST_SCOPE,
  type TestAuthorizationServer,
} from '../../test/support/authorization-server.ts';
import { signIn } from '../../infra/local/headless-sign-in.ts';
import { basicAuthorization } from '@mcp-secured-api/contracts';

/** The server's signing algorithm when none is configured. */
const DEFAULT_ALGORITHM = 'ES256';

let mail: Maildev;
let as: TestAuthorizationServer;
let cimdHost: Listening;
const cimdFetches: string[] = [];

before(async () => {
  mail = await startMaildev();
  as = await startTestAuthorizationServer({ smtp: mail.smtp, config: { clientMetadata: { allowLoopback: true } } });
  const docs = new Hono();
  docs.get('/clients/agent.json', (c) => {
    cimdFetches.push(c.req.path);
    return c.json(
      {
        client_id: `${cimdHost.url}/clients/agent.json`,
        client_name: 'Document Agent',
        redirect_uris: ['http://127.0.0.1:7777/callback'],
        token_endpoint_auth_method: 'none',
        client_uri: 'https://agent.example',
      },
      200,
      { 'Cache-Control': 'max-age=3600' },
    );
  });
  cimdHost = await listen(docs);
});

after(async () => {
  await cimdHost?.close();
  await as?.close();
  await mail?.close();
});

async function authorizeAndRedeem(clientId: string, redirectUri: string, email = 'john.doe@demo.example') {
  const state = 'state-123';
  const request = codeRequest(as.url, clientId, redirectUri, { state, resource: MCP_RESOURCE });
  const signedIn = await signIn({
    authorizeUrl: request.url,
    email,
    mailApi: mail.apiUrl,
  });
  assert.equal(signedIn.error, undefined);
  assert.equal(signedIn.state, state);
  assert.equal(signedIn.iss, as.issuer);
  assert.equal(`${signedIn.url.origin}${signedIn.url.pathname}`, redirectUri);
  const response = await postForm(`${as.url}${AS_PATHS.token}`, {
    grant_type: 'authorization_code',
    code: signedIn.code,
    redirect_uri: redirectUri,
    code_verifier: request.verifier,
    client_id: clientId,
    resource: MCP_RESOURCE,
  });
  return response;
}

/** The JWT behind an opaque token, as the gateway's introspection gets it. */
const jwtBehind = async (opaque: string) =>
  (
    await postForm(
      `${as.url}${AS_PATHS.introspect}`,
      { token: opaque },
      { authorization: basicAuthorization(GATEWAY_CLIENT.id, GATEWAY_CLIENT.secret), accept: 'application/jwt' },
    )
  ).text();

/** A token exchange as the MCP server makes it. */
const exchangeJwt = (jwt: string) =>
  postForm(
    `${as.url}${AS_PATHS.token}`,
    { grant_type: GRANT_TYPE.tokenExchange, subject_token: jwt, subject_token_type: TOKEN_TYPE.accessToken },
    { authorization: basicAuthorization(MCP_CLIENT.id, MCP_CLIENT.secret) },
  );

test('publishes metadata at the issuer path, the path-inserted form and as openid-configuration', async () => {
  const paths = [
    `${AS_PATHS.issuer}/.well-known/oauth-authorization-server`,
    `/.well-known/oauth-authorization-server${AS_PATHS.issuer}`,
    `${AS_PATHS.issuer}/.well-known/openid-configuration`,
    `/.well-known/openid-configuration${AS_PATHS.issuer}`,
  ];
  for (const path of paths) {
    const response = await fetch(`${as.url}${path}`);
    assert.equal(response.status, 200, path);
    const m = (await response.json()) as Record<string, unknown>;
    assert.equal(m.issuer, as.issuer);
    assert.equal(m.authorization_endpoint, `${as.url}${AS_PATHS.authorize}`);
    assert.equal(m.token_endpoint, `${as.url}${AS_PATHS.token}`);
    assert.equal(m.registration_endpoint, `${as.url}${AS_PATHS.registration}`);
    assert.equal(m.introspection_endpoint, `${as.url}${AS_PATHS.introspect}`);
    assert.equal(m.revocation_endpoint, `${as.url}${AS_PATHS.revoke}`);
    assert.equal(m.jwks_uri, `${as.url}${AS_PATHS.jwks}`);
    assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
    assert.equal(m.client_id_metadata_document_supported, true);
    assert.equal(m.authorization_response_iss_parameter_supported, true);
    assert.deepEqual(m.scopes_supported, [TEST_SCOPE, 'offline_access']);
    assert.deepEqual(m.grant_types_supported, ['authorization_code', 'refresh_token', GRANT_TYPE.tokenExchange]);
  }
});

test('happy path: registration, sign-in with the mailed code, consent, token, JWT introspection, token exchange, revocation', async () => {
  const registration = await registerClient(as.url, {
    client_name: 'Console Agent',
    redirect_uris: ['http://127.0.0.1:8090/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    client_uri: 'https://agent.example',
    logo_uri: 'https://agent.example/logo.png',
  });
  assert.equal(registration.status, 201);
  const clientId = registration.body.client_id as string;
  assert.equal(registration.body.client_secret, undefined);
  assert.deepEqual(registration.body.grant_types, ['authorization_code', 'refresh_token']);

  // The loopback port may differ from the registered one (RFC 8252).
  const tokenResponse = await authorizeAndRedeem(clientId, 'http://127.0.0.1:53127/callback');
  assert.equal(tokenResponse.status, 200);
  assert.equal(tokenResponse.headers.get('cache-control'), 'no-store');
  const token = (await tokenResponse.json()) as Record<string, unknown>;
  const accessToken = token.access_token as string;
  assert.match(accessToken, /^[A-Za-z0-9_-]{43,}$/, 'an opaque token of at least 256 bits, not a JWT');
  assert.equal(token.refresh_token, undefined, 'the client did not ask for offline_access');
  assert.equal(token.token_type, 'bearer');
  assert.equal(token.expires_in, 900);
  assert.equal(token.scope, TEST_SCOPE);

  const mails = (await (await fetch(`${mail.apiUrl}/email`)).json()) as { subject: string; to: { address: string }[] }[];
  assert.ok(mails.some((m) => /code/i.test(m.subject) && m.to[0]?.address === 'john.doe@demo.example'));

  // Phantom token: the gateway introspects with Accept: application/jwt.
  const introspected = await postForm(
    `${as.url}${AS_PATHS.introspect}`,
    { token: accessToken },
    { authorization: basicAuthorization(GATEWAY_CLIENT.id, GATEWAY_CLIENT.secret), accept: 'application/jwt' },
  );
  assert.equal(introspected.status, 200);
  assert.equal(introspected.headers.get('content-type'), 'application/jwt');
  const maxAge = Number(/max-age=(\d+)/.exec(introspected.headers.get('cache-control') ?? '')?.[1]);
  // The token lives 900 s, but the gateway may keep the answer only introspectionCacheSeconds (30 by default).
  assert.ok(maxAge > 0 && maxAge <= 30, `max-age ${maxAge}`);
  const jwt = await introspected.text();
  const header = decodeProtectedHeader(jwt);
  assert.equal(header.alg, DEFAULT_ALGORITHM);
  assert.equal(header.typ, 'at+jwt');
  const jwks = createLocalJWKSet((await (await fetch(`${as.url}${AS_PATHS.jwks}`)).json()) as { keys: [] });
  assert.ok(jwks);
  const { payload } = await jwtVerify(jwt, jwks, {
    issuer: as.issuer,
    audience: MCP_RESOURCE,
    algorithms: [DEFAULT_ALGORITHM],
    typ: 'at+jwt',
  });
  assert.equal(payload.sub, 'john.doe@demo.example');
  assert.equal(payload.scope, TEST_SCOPE);
  assert.equal(payload.client_id, clientId);
  assert.equal(payload.region, 'USA');
  assert.equal(payload.client_type, 'mcp');
  assert.equal(payload.client_assurance_level, 1);
  for (const claim of ['exp', 'iat', 'nbf', 'jti']) assert.ok(payload[claim] !== undefined, claim);

  const json = await postForm(
    `${as.url}${AS_PATHS.introspect}`,
    { token: accessToken },
    { authorization: basicAuthorization(GATEWAY_CLIENT.id, GATEWAY_CLIENT.secret) },
  );
  const active = (await json.json()) as Record<string, unknown>;
  assert.equal(active.active, true);
  assert.equal(active.sub, 'john.doe@demo.example');

  // The MCP server exchanges the JWT for one whose audience is the API.
  const exchange = await postForm(
    `${as.url}${AS_PATHS.token}`,
    { grant_type: GRANT_TYPE.tokenExchange, subject_token: jwt, subject_token_type: TOKEN_TYPE.accessToken, audience: API_AUDIENCE },
    { authorization: basicAuthorization(MCP_CLIENT.id, MCP_CLIENT.secret) },
  );
  assert.equal(exchange.status, 200);
  assert.equal(exchange.headers.get('cache-control'), 'no-store');
  const exchanged = (await exchange.json()) as Record<string, unknown>;
  assert.equal(exchanged.issued_token_type, TOKEN_TYPE.accessToken);
  const apiToken = await jwtVerify(exchanged.access_token as string, jwks, {
    issuer: as.issuer,
    audience: API_AUDIENCE,
    algorithms: [DEFAULT_ALGORITHM],
    typ: 'at+jwt',
  });
  assert.deepEqual(apiToken.payload.act, { sub: MCP_CLIENT.id });
  assert.equal(apiToken.payload.sub, payload.sub);
  assert.equal(apiToken.payload.region, 'USA');
  assert.equal(apiToken.payload.client_id, clientId);
  assert.equal(apiToken.payload.scope, TEST_SCOPE);
  assert.ok(apiToken.payload.exp! <= payload.exp!);
  assert.notEqual(apiToken.payload.jti, payload.jti);

  // The client revokes its token: introspection and exchange stop working.
  const revoked = await postForm(`${as.url}${AS_PATHS.revoke}`, { token: accessToken, client_id: clientId });
  assert.equal(revoked.status, 200);
  const inactive = await postForm(
    `${as.url}${AS_PATHS.introspect}`,
    { token: accessToken },
    { authorization: basicAuthorization(GATEWAY_CLIENT.id, GATEWAY_CLIENT.secret), accept: 'application/jwt' },
  );
  assert.equal(inactive.status, 204);
  const inactiveJson = await postForm(
    `${as.url}${AS_PATHS.introspect}`,
    { token: accessToken },
    { authorization: basicAuthorization(GATEWAY_CLIENT.id, GATEWAY_CLIENT.secret) },
  );
  assert.deepEqual(await inactiveJson.json(), { active: false });
  const afterRevocation = await exchangeJwt(jwt);
  assert.equal(afterRevocation.status, 400);
  assert.equal(((await afterRevocation.json()) as { error: string }).error, 'invalid_grant');
});

test('a client identified by its metadata document on a loopback host signs in and gets a token; the document is cached', async () => {
  const clientId = `${cimdHost.url}/clients/agent.json`;
  const first = await authorizeAndRedeem(clientId, 'http://127.0.0.1:7777/callback', 'jane.test@demo.example');
  assert.equal(first.status, 200);
  const token = (await first.json()) as { access_token: string };
  const claims = decodeJwt(await jwtBehind(token.access_token));
  assert.equal(claims.client_id, clientId);
  assert.equal(claims.region, 'Europe');
  const second = await authorizeAndRedeem(clientId, 'http://127.0.0.1:7777/callback', 'jane.test@demo.example');
  assert.equal(second.status, 200);
  assert.equal(cimdFetches.length, 1, 'the document is fetched once and then served from the cache');
});

test('key rotation: new tokens get the new key, the previous key stays published until its tokens expire', async () => {
  const keysBefore = (await (await fetch(`${as.url}${AS_PATHS.jwks}`)).json()) as { keys: { kid: string }[] };
  assert.equal(keysBefore.keys.length, 1);
  const oldKid = keysBefore.keys[0]!.kid;
  const registration = await registerClient(as.url, { redirect_uris: ['https://agent.example/cb'], token_endpoint_auth_method: 'none' });
  const oldToken = (await (await authorizeAndRedeem(registration.body.client_id, 'https://agent.example/cb')).json()) as {
    access_token: string;
  };
  const oldJwt = await jwtBehind(oldToken.access_token);

  await as.server.rotateSigningKey();
  const keysAfter = (await (await fetch(`${as.url}${AS_PATHS.jwks}`)).json()) as { keys: { kid: string }[] };
  assert.deepEqual(keysAfter.keys.map((k) => k.kid).sort(), [oldKid, as.server.currentKeyId].sort());
  assert.notEqual(as.server.currentKeyId, oldKid);

  // A token signed by the previous key is still exchanged. Its API token was signed beside it at
  // issuance, by the previous key, which stays published as long as that API token lives.
  const exchange = await exchangeJwt(oldJwt);
  assert.equal(exchange.status, 200);
  const apiToken = ((await exchange.json()) as { access_token: string }).access_token;
  assert.equal(decodeProtectedHeader(apiToken).kid, oldKid);
  assert.ok(decodeJwt(apiToken).exp! <= decodeJwt(oldJwt).exp!);

  // Tokens issued from now on, and their API tokens, carry the new kid.
  const newToken = (await (await authorizeAndRedeem(registration.body.client_id, 'https://agent.example/cb')).json()) as {
    access_token: string;
  };
  const newJwt = await jwtBehind(newToken.access_token);
  assert.equal(decodeProtectedHeader(newJwt).kid, as.server.currentKeyId);
  const newExchange = await exchangeJwt(newJwt);
  assert.equal(decodeProtectedHeader(((await newExchange.json()) as { access_token: string }).access_token).kid, as.server.currentKeyId);

  as.advance(900 + 61);
  const keysLater = (await (await fetch(`${as.url}${AS_PATHS.jwks}`)).json()) as { keys: { kid: string }[] };
  assert.deepEqual(
    keysLater.keys.map((k) => k.kid),
    [as.server.currentKeyId],
  );
});
