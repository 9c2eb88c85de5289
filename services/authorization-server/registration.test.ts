import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AS_PATHS } from '@mcp-secured-api/contracts';
import { REGISTRATION_TTL_SECONDS } from './registration.ts';
import {
  authorizeUrl,
  pkcePair,
  registerClient,
  startTestAuthorizationServer,
  TEST_SCOPE,
  type TestAuthorizationServer,
} from '../../test/support/authorization-server.ts';

let as: TestAuthorizationServer;
before(async () => {
  as = await startTestAuthorizationServer({ deps: { limits: { registrationsPerMinute: 12 } } });
});
after(() => as.close());

async function refusedWith(metadata: Record<string, unknown>, error: string) {
  const { status, body } = await registerClient(as.url, metadata);
  assert.equal(status, 400, JSON.stringify(body));
  assert.equal(body.error, error, body.error_description);
}

test('redirect URIs must be https or loopback http, without fragments', async () => {
  await refusedWith({ redirect_uris: ['http://agent.example/cb'], token_endpoint_auth_method: 'none' }, 'invalid_redirect_uri');
  await refusedWith({ redirect_uris: ['https://agent.example/cb#frag'], token_endpoint_auth_method: 'none' }, 'invalid_redirect_uri');
  await refusedWith({ redirect_uris: ['javascript:alert(1)'], token_endpoint_auth_method: 'none' }, 'invalid_redirect_uri');
  await refusedWith({ redirect_uris: [], token_endpoint_auth_method: 'none' }, 'invalid_redirect_uri');
  await refusedWith({ token_endpoint_auth_method: 'none' }, 'invalid_redirect_uri');
});

test('unknown scopes, grant types and authentication methods are refused', async () => {
  await refusedWith({ redirect_uris: ['https://agent.example/cb'], scope: `${TEST_SCOPE} admin` }, 'invalid_client_metadata');
  await refusedWith({ redirect_uris: ['https://agent.example/cb'], grant_types: ['client_credentials'] }, 'invalid_client_metadata');
  await refusedWith(
    { redirect_uris: ['https://agent.example/cb'], token_endpoint_auth_method: 'private_key_jwt' },
    'invalid_client_metadata',
  );
  const notJson = await fetch(`${as.url}${AS_PATHS.registration}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{',
  });
  assert.equal(notJson.status, 400);
});

test('harmless metadata real clients send does not break registration; the agent policy applies', async () => {
  const { status, body } = await registerClient(as.url, {
    redirect_uris: ['http://localhost:6274/oauth/callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    client_name: 'MCP Inspector',
    client_uri: 'https://github.com/modelcontextprotocol/inspector',
    logo_uri: 'https://example.com/logo.png',
    contacts: ['ops@example.com'],
    software_id: 'inspector',
    software_version: '1.0',
  });
  assert.equal(status, 201);
  assert.deepEqual(body.grant_types, ['authorization_code', 'refresh_token'], 'refresh tokens, with the user’s consent');
  assert.equal(body.scope, TEST_SCOPE);
  assert.equal(body.client_secret, undefined);
});

test('confidential clients get a secret that expires with the registration', async () => {
  const { status, body } = await registerClient(as.url, {
    redirect_uris: ['https://agent.example/cb'],
    token_endpoint_auth_method: 'client_secret_post',
  });
  assert.equal(status, 201);
  assert.ok(typeof body.client_secret === 'string' && body.client_secret.length >= 43);
  assert.equal(body.client_secret_expires_at, body.client_id_issued_at + REGISTRATION_TTL_SECONDS);
});

test('registrations expire', async () => {
  const { body } = await registerClient(as.url, { redirect_uris: ['https://agent.example/cb'], token_endpoint_auth_method: 'none' });
  const url = authorizeUrl(as.url, {
    response_type: 'code',
    client_id: body.client_id,
    redirect_uri: 'https://agent.example/cb',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
  });
  assert.equal((await fetch(url, { redirect: 'manual' })).status, 302);
  as.advance(REGISTRATION_TTL_SECONDS + 1);
  assert.equal((await fetch(url, { redirect: 'manual' })).status, 400);
});

test('registrations are rate-limited per source address', async () => {
  let last: { status: number; body: Record<string, any> } | undefined;
  for (let i = 0; i < 15 && last?.status !== 429; i++)
    last = await registerClient(as.url, { redirect_uris: ['https://agent.example/cb'], token_endpoint_auth_method: 'none' });
  assert.equal(last?.status, 429);
  assert.equal(last?.body.error, 'too_many_requests');
});
