import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  discoverAuthorizationServerMetadata,
  exchangeAuthorization,
  registerClient,
  startAuthorization,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { startMaildev, type Maildev } from '../../test/support/maildev.ts';
import {
  MCP_RESOURCE,
  startTestAuthorizationServer,
  TEST_SCOPE,
  type TestAuthorizationServer,
} from '../../test/support/authorization-server.ts';
import { signIn } from '../../infra/local/headless-sign-in.ts';

let mail: Maildev;
let as: TestAuthorizationServer;
before(async () => {
  mail = await startMaildev();
  as = await startTestAuthorizationServer({ smtp: mail.smtp });
});
after(async () => {
  await as?.close();
  await mail?.close();
});

test("the MCP SDK's OAuth client discovers, registers, authorizes and gets a token", async () => {
  const metadata = await discoverAuthorizationServerMetadata(as.issuer);
  assert.ok(metadata);
  assert.equal(metadata.issuer, as.issuer);
  const redirectUrl = 'http://localhost:8090/callback';
  const clientInformation = await registerClient(as.issuer, {
    metadata,
    clientMetadata: {
      client_name: 'SDK client',
      redirect_uris: [redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    },
    scope: TEST_SCOPE,
  });
  const resource = new URL(MCP_RESOURCE);
  const { authorizationUrl, codeVerifier } = await startAuthorization(as.issuer, {
    metadata,
    clientInformation,
    redirectUrl,
    scope: TEST_SCOPE,
    state: 'sdk-state',
    resource,
  });
  const result = await signIn({ authorizeUrl: authorizationUrl.href, email: 'jane.test@demo.example', mailApi: mail.apiUrl });
  assert.equal(result.iss, as.issuer);
  assert.equal(result.state, 'sdk-state');
  const tokens = await exchangeAuthorization(as.issuer, {
    metadata,
    clientInformation,
    authorizationCode: result.code!,
    codeVerifier,
    redirectUri: redirectUrl,
    resource,
  });
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.equal(tokens.refresh_token, undefined);
  assert.equal(tokens.scope, TEST_SCOPE);
});
