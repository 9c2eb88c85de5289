/**
 * Editing the typed configuration changes the whole stack: another scope name and another user
 * give a stack where the flow works with the new values and not with the old ones. The same stack
 * checks the configured token lifetime and a client identified by its metadata document.
 */
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectHeadlessAgent } from '../../infra/local/headless-agent.ts';
import { obtainToken } from '../support/tokens.ts';
import { mcpRequest } from '../support/mcp.ts';
import { startTestStack, type TestStack } from '../support/local-stack.ts';

const ANN = 'ann.other@acme.test';
const SCOPE = 'portfolio/read';
const TTL = 30;

describe('a stack built from changed configuration', { timeout: 180_000 }, () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ scope: SCOPE, users: [{ email: ANN, region: 'Europe' }], accessTokenTtlSeconds: TTL });
  });
  after(async () => {
    await stack?.stop();
  });

  test('the new scope is advertised, granted and required; the old one is gone', async () => {
    const prm = (await (await fetch(`${stack.info.mcp}/.well-known/oauth-protected-resource`)).json()) as { scopes_supported: string[] };
    assert.deepEqual(prm.scopes_supported, [SCOPE]);
    const as = (await (await fetch(stack.model.endpoints.metadata)).json()) as { scopes_supported: string[] };
    assert.ok(as.scopes_supported.includes(SCOPE) && !as.scopes_supported.includes('stocks/read'), JSON.stringify(as.scopes_supported));

    const registration = await fetch(stack.model.endpoints.registration, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:8090/callback'], token_endpoint_auth_method: 'none', scope: 'stocks/read' }),
    });
    assert.equal(registration.status, 400, 'the old scope is unknown');
  });

  test('the new user signs in and sees her region through the MCP client; the old users cannot sign in', async () => {
    const agent = await connectHeadlessAgent({ mcp: `${stack.info.mcp}/`, mail: stack.info.mail, email: ANN });
    try {
      const result = await agent.session.callTool('fetch-stock-prices', {});
      assert.ok(!result.isError, JSON.stringify(result));
      const text = JSON.stringify(result.content);
      assert.ok(text.includes('COM2') && !text.includes('COM1'), text);
    } finally {
      await agent.close();
    }
    await assert.rejects(
      obtainToken(stack.model, { email: 'john.doe@demo.example', mail: stack.info.mail }),
      /No mail with a code/,
      'john.doe is no longer a user: no code is sent',
    );
  });

  test('a client identified by its metadata document (CIMD) gets a token', async () => {
    const redirectUri = 'http://127.0.0.1:8090/callback';
    let documentUrl = '';
    const host: Server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          client_id: documentUrl,
          client_name: 'CIMD test agent',
          redirect_uris: [redirectUri],
          token_endpoint_auth_method: 'none',
        }),
      );
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    documentUrl = `http://127.0.0.1:${(host.address() as { port: number }).port}/agent/client.json`;
    try {
      const metadata = (await (await fetch(stack.model.endpoints.metadata)).json()) as Record<string, unknown>;
      assert.equal(metadata.client_id_metadata_document_supported, true);
      const token = await obtainToken(stack.model, { email: ANN, mail: stack.info.mail, clientId: documentUrl, redirectUri });
      assert.equal(token.scope, SCOPE);
      assert.equal(token.expiresIn, TTL, 'the configured lifetime');
      assert.equal(token.refreshToken, undefined, 'agents get no refresh token');
      assert.equal((await mcpRequest(`${stack.info.mcp}/`, token.accessToken, 'tools/list')).status, 200);
    } finally {
      await new Promise((resolve) => host.close(resolve));
    }
  });
});
