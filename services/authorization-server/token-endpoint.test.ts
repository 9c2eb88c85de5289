import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { AS_PATHS, GRANT_TYPE, TOKEN_TYPE } from '@mcp-secured-api/contracts';
import { startMaildev, type Maildev } from '../../test/support/maildev.ts';
import {
  API_AUDIENCE,
  codeRequest,
  GATEWAY_CLIENT,
  MCP_CLIENT,
  MCP_RESOURCE,
  pkcePair,
  postForm,
  registerClient,
  startTestAuthorizationServer,
  TEST_SCOPE,
  type TestAuthorizationServer,
} from '../../test/support/authorization-server.ts';
import { signIn } from '../../infra/local/headless-sign-in.ts';
import { basicAuthorization } from '@mcp-secured-api/contracts';

let mail: Maildev;
let as: TestAuthorizationServer;
let publicClient: string;
let otherClient: string;
let confidential: { id: string; secret: string };
const REDIRECT = 'https://agent.example/cb';

before(async () => {
  mail = await startMaildev();
  as = await startTestAuthorizationServer({
    smtp: mail.smtp,
    deps: { limits: { signInPostsPerMinute: 1_000, registrationsPerMinute: 1_000 } },
  });
  publicClient = (await registerClient(as.url, { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' })).body.client_id;
  otherClient = (await registerClient(as.url, { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' })).body.client_id;
  const reg = await registerClient(as.url, { redirect_uris: [REDIRECT] });
  assert.equal(reg.body.token_endpoint_auth_method, 'client_secret_basic');
  confidential = { id: reg.body.client_id, secret: reg.body.client_secret };
});
after(async () => {
  await as?.close();
  await mail?.close();
});

async function getCode(clientId: string) {
  const request = codeRequest(as.url, clientId, REDIRECT, { resource: MCP_RESOURCE });
  const result = await signIn({
    authorizeUrl: request.url,
    email: 'john.doe@demo.example',
    mailApi: mail.apiUrl,
  });
  assert.ok(result.code, `a code: ${result.url}`);
  return { code: result.code, verifier: request.verifier };
}

const token = (form: Record<string, string | undefined>, headers: Record<string, string> = {}) =>
  postForm(`${as.url}${AS_PATHS.token}`, form, headers);
const redeem = (clientId: string, code: string, verifier: string | undefined, extra: Record<string, string> = {}) =>
  token({ grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: REDIRECT, code_verifier: verifier, ...extra });
const introspect = (t: string) =>
  postForm(
    `${as.url}${AS_PATHS.introspect}`,
    { token: t },
    { authorization: basicAuthorization(GATEWAY_CLIENT.id, GATEWAY_CLIENT.secret), accept: 'application/jwt' },
  );
const exchange = (subject: string, extra: Record<string, string> = {}, client = MCP_CLIENT) =>
  token(
    { grant_type: GRANT_TYPE.tokenExchange, subject_token: subject, subject_token_type: TOKEN_TYPE.accessToken, ...extra },
    { authorization: basicAuthorization(client.id, client.secret) },
  );

async function oauthError(response: Response, status: number, error: string) {
  assert.equal(response.status, status);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const body = (await response.json()) as { error: string; error_description: string };
  assert.equal(body.error, error, body.error_description);
  assert.ok(body.error_description.length > 0);
}

async function agentJwt(): Promise<{ opaque: string; jwt: string }> {
  const { code, verifier } = await getCode(publicClient);
  const opaque = ((await (await redeem(publicClient, code, verifier)).json()) as { access_token: string }).access_token;
  return { opaque, jwt: await (await introspect(opaque)).text() };
}

test('a reused code fails and revokes the token its first redemption issued', async () => {
  const { code, verifier } = await getCode(publicClient);
  const first = await redeem(publicClient, code, verifier);
  assert.equal(first.status, 200);
  const { access_token } = (await first.json()) as { access_token: string };
  assert.equal((await introspect(access_token)).status, 200);
  await oauthError(await redeem(publicClient, code, verifier), 400, 'invalid_grant');
  assert.equal((await introspect(access_token)).status, 204, 'the first token is revoked');
});

test('an expired code fails', async () => {
  const { code, verifier } = await getCode(publicClient);
  as.advance(61);
  await oauthError(await redeem(publicClient, code, verifier), 400, 'invalid_grant');
});

test('a code is bound to its client, redirect URI, verifier and resource', async () => {
  let c = await getCode(publicClient);
  await oauthError(await redeem(otherClient, c.code, c.verifier), 400, 'invalid_grant');
  c = await getCode(publicClient);
  await oauthError(await redeem(publicClient, c.code, c.verifier, { redirect_uri: 'https://agent.example/other' }), 400, 'invalid_grant');
  c = await getCode(publicClient);
  await oauthError(await redeem(publicClient, c.code, pkcePair().verifier), 400, 'invalid_grant');
  c = await getCode(publicClient);
  await oauthError(await redeem(publicClient, c.code, undefined), 400, 'invalid_request');
  // A request without a verifier is refused before the code is looked up: the code still works.
  assert.equal((await redeem(publicClient, c.code, c.verifier, { resource: MCP_RESOURCE })).status, 200);
  c = await getCode(publicClient);
  await oauthError(await redeem(publicClient, c.code, c.verifier, { resource: API_AUDIENCE }), 400, 'invalid_target');
});

test('a confidential client authenticates only with the method it registered; a wrong secret is invalid_client', async () => {
  const post = await registerClient(as.url, { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_post' });
  const viaPost = { id: post.body.client_id as string, secret: post.body.client_secret as string };
  const basicCredentials = (id: string, secret: string) => ({ authorization: basicAuthorization(id, secret) });
  const redeemWithBasic = (id: string, secret: string, c: { code: string; verifier: string }) =>
    token(
      { grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT, code_verifier: c.verifier },
      basicCredentials(id, secret),
    );
  const challenged = async (response: Response) => {
    assert.match(response.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    await oauthError(response, 401, 'invalid_client');
  };

  // Registered for client_secret_basic (the default): its right secret in the body is refused.
  let c = await getCode(confidential.id);
  await challenged(await redeem(confidential.id, c.code, c.verifier, { client_secret: confidential.secret }));
  await challenged(await redeem(confidential.id, c.code, c.verifier, { client_secret: 'not-the-secret' }));
  await challenged(await redeem(confidential.id, c.code, c.verifier));
  await challenged(await redeemWithBasic(confidential.id, 'nope', c));
  assert.equal((await redeemWithBasic(confidential.id, confidential.secret, c)).status, 200, 'the code survived the refusals');

  // Registered for client_secret_post: its right secret in a Basic header is refused.
  c = await getCode(viaPost.id);
  await challenged(await redeemWithBasic(viaPost.id, viaPost.secret, c));
  const wrong = await redeem(viaPost.id, c.code, c.verifier, { client_secret: 'not-the-secret' });
  assert.equal(wrong.headers.get('www-authenticate'), null, 'no Basic challenge for a client that did not try Basic');
  await oauthError(wrong, 401, 'invalid_client');
  assert.equal((await redeem(viaPost.id, c.code, c.verifier, { client_secret: viaPost.secret })).status, 200);

  // A public client sends no secret, in either form.
  c = await getCode(publicClient);
  await challenged(await redeemWithBasic(publicClient, 'invented', c));
  await oauthError(await redeem(publicClient, c.code, c.verifier, { client_secret: 'invented' }), 401, 'invalid_client');
  assert.equal((await redeem(publicClient, c.code, c.verifier)).status, 200);
  await oauthError(await redeem('unknown-client', 'x', 'y'), 401, 'invalid_client');

  // Revocation checks the registered method too.
  const revoke = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    postForm(`${as.url}${AS_PATHS.revoke}`, { token: 'anything', ...form }, headers);
  await challenged(await revoke({ client_id: confidential.id, client_secret: confidential.secret }));
  assert.equal((await revoke({}, basicCredentials(confidential.id, confidential.secret))).status, 200);
  await challenged(await revoke({}, basicCredentials(viaPost.id, viaPost.secret)));
  assert.equal((await revoke({ client_id: viaPost.id, client_secret: viaPost.secret })).status, 200);
});

test("the deployment's own clients are registered for client_secret_basic: their secret in the body is refused", async () => {
  const { opaque, jwt } = await agentJwt();
  const introspection = await postForm(`${as.url}${AS_PATHS.introspect}`, {
    token: opaque,
    client_id: GATEWAY_CLIENT.id,
    client_secret: GATEWAY_CLIENT.secret,
  });
  assert.match(introspection.headers.get('www-authenticate') ?? '', /^Basic/);
  await oauthError(introspection, 401, 'invalid_client');
  const exchanged = await token({
    grant_type: GRANT_TYPE.tokenExchange,
    subject_token: jwt,
    subject_token_type: TOKEN_TYPE.accessToken,
    client_id: MCP_CLIENT.id,
    client_secret: MCP_CLIENT.secret,
  });
  assert.match(exchanged.headers.get('www-authenticate') ?? '', /^Basic/);
  await oauthError(exchanged, 401, 'invalid_client');
  assert.equal((await introspect(opaque)).status, 200);
  assert.equal((await exchange(jwt)).status, 200);
});

test('grants other than authorization_code, refresh_token and token exchange are refused', async () => {
  await oauthError(
    await token({ grant_type: 'client_credentials' }, { authorization: basicAuthorization(MCP_CLIENT.id, MCP_CLIENT.secret) }),
    400,
    'unsupported_grant_type',
  );
});

test('token exchange only for the MCP server client', async () => {
  const { jwt } = await agentJwt();
  await oauthError(await exchange(jwt, {}, GATEWAY_CLIENT), 400, 'unauthorized_client');
  await oauthError(await exchange(jwt, {}, { id: confidential.id, secret: confidential.secret }), 400, 'unauthorized_client');
  await oauthError(await exchange(jwt, {}, { id: MCP_CLIENT.id, secret: 'wrong-secret-0123456789' }), 401, 'invalid_client');
});

test('token exchange refuses subject tokens that are not MCP-audience JWTs of this issuer', async () => {
  const { opaque, jwt } = await agentJwt();
  const apiToken = ((await (await exchange(jwt)).json()) as { access_token: string }).access_token;
  await oauthError(await exchange(apiToken), 400, 'invalid_grant');
  await oauthError(await exchange(opaque), 400, 'invalid_grant');
  const { privateKey } = await generateKeyPair('PS256');
  const claims = decodeJwt(jwt);
  const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'PS256', typ: 'at+jwt', kid: 'other' }).sign(privateKey);
  await oauthError(await exchange(forged), 400, 'invalid_grant');
  await oauthError(await exchange(new UnsecuredJWT(claims).encode()), 400, 'invalid_grant');
  await oauthError(await exchange(`${jwt.split('.').slice(0, 2).join('.')}.`), 400, 'invalid_grant');
  await oauthError(await exchange(jwt, { subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }), 400, 'invalid_request');
});

test('exchanging the same token again hands out the API token kept; with none kept, a new one each time', async () => {
  const apiTokenOf = async (response: Response) => {
    assert.equal(response.status, 200);
    return ((await response.json()) as { access_token: string }).access_token;
  };
  const { jwt } = await agentJwt();
  const kept = await apiTokenOf(await exchange(jwt));
  assert.equal(await apiTokenOf(await exchange(jwt)), kept);

  const keepsNone = await startTestAuthorizationServer({
    smtp: mail.smtp,
    config: { exchangedTokenEntries: 0 },
    deps: { limits: { signInPostsPerMinute: 1_000, registrationsPerMinute: 1_000 } },
  });
  try {
    const client = (await registerClient(keepsNone.url, { redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' })).body.client_id;
    const request = codeRequest(keepsNone.url, client, REDIRECT, { resource: MCP_RESOURCE });
    const { code } = await signIn({ authorizeUrl: request.url, email: 'john.doe@demo.example', mailApi: mail.apiUrl });
    assert.ok(code);
    const endpoint = `${keepsNone.url}${AS_PATHS.token}`;
    const grant = { grant_type: 'authorization_code', client_id: client, code, redirect_uri: REDIRECT, code_verifier: request.verifier };
    const opaque = ((await (await postForm(endpoint, grant)).json()) as { access_token: string }).access_token;
    const subject = await (
      await postForm(
        `${keepsNone.url}${AS_PATHS.introspect}`,
        { token: opaque },
        { authorization: basicAuthorization(GATEWAY_CLIENT.id, GATEWAY_CLIENT.secret), accept: 'application/jwt' },
      )
    ).text();
    const exchangeThere = () =>
      postForm(
        endpoint,
        { grant_type: GRANT_TYPE.tokenExchange, subject_token: subject, subject_token_type: TOKEN_TYPE.accessToken },
        { authorization: basicAuthorization(MCP_CLIENT.id, MCP_CLIENT.secret) },
      );
    const first = decodeJwt(await apiTokenOf(await exchangeThere()));
    const second = decodeJwt(await apiTokenOf(await exchangeThere()));
    assert.notEqual(first.jti, second.jti);
    assert.equal(second.sub, first.sub);
    assert.equal(second.aud, API_AUDIENCE);
  } finally {
    await keepsNone.close();
  }
});

test('token exchange never widens scope, never targets another audience, never outlives the subject token', async () => {
  const { jwt } = await agentJwt();
  await oauthError(await exchange(jwt, { scope: `${TEST_SCOPE} stocks/write` }), 400, 'invalid_scope');
  await oauthError(await exchange(jwt, { audience: 'https://other.example' }), 400, 'invalid_target');
  await oauthError(await exchange(jwt, { resource: MCP_RESOURCE }), 400, 'invalid_target');
  as.advance(600);
  const response = await exchange(jwt, { scope: TEST_SCOPE, audience: API_AUDIENCE });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { access_token: string; expires_in: number };
  const exchanged = decodeJwt(body.access_token);
  assert.equal(exchanged.exp, decodeJwt(jwt).exp);
  assert.ok(body.expires_in <= 300);
  as.advance(400);
  await oauthError(await exchange(jwt), 400, 'invalid_grant');
});

test('introspection is only for the gateway client', async () => {
  const { opaque } = await agentJwt();
  const url = `${as.url}${AS_PATHS.introspect}`;
  await oauthError(
    await postForm(url, { token: opaque }, { authorization: basicAuthorization(MCP_CLIENT.id, MCP_CLIENT.secret) }),
    401,
    'invalid_client',
  );
  await oauthError(
    await postForm(url, { token: opaque }, { authorization: basicAuthorization(GATEWAY_CLIENT.id, 'wrong-secret-0123456789') }),
    401,
    'invalid_client',
  );
  await oauthError(await postForm(url, { token: opaque }), 401, 'invalid_client');
  await oauthError(await postForm(url, { token: opaque, client_id: publicClient }), 401, 'invalid_client');
  assert.equal((await introspect('not-a-token')).status, 204);
});

test('only the owning client revokes a token', async () => {
  const { opaque } = await agentJwt();
  const revoke = (form: Record<string, string>) => postForm(`${as.url}${AS_PATHS.revoke}`, form);
  assert.equal((await revoke({ token: opaque, client_id: otherClient })).status, 200);
  assert.equal((await introspect(opaque)).status, 200, "another client's revocation has no effect");
  await oauthError(await revoke({ token: opaque, client_id: confidential.id, client_secret: 'wrong' }), 401, 'invalid_client');
  assert.equal((await revoke({ token: opaque, client_id: publicClient })).status, 200);
  assert.equal((await introspect(opaque)).status, 204);
});

test('malformed token requests get RFC 6749 errors', async () => {
  const asJson = await fetch(`${as.url}${AS_PATHS.token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  await oauthError(asJson, 400, 'invalid_request');
  await oauthError(await token({ client_id: publicClient }), 400, 'invalid_request');
  const repeated = await fetch(`${as.url}${AS_PATHS.token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=authorization_code&client_id=${publicClient}&code=a&code=b`,
  });
  await oauthError(repeated, 400, 'invalid_request');
});
