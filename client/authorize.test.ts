import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCallbackServer } from './callback-server.ts';
import { ConsoleOAuthProvider } from './oauth-provider.ts';

test('the client never opens an authorization URL that is not a web address', async () => {
  const callback = await startCallbackServer({ port: 0 });
  const opened: string[] = [];
  const provider = new ConsoleOAuthProvider({ callback, progress: () => {}, authorize: async (url) => void opened.push(url.href) });
  try {
    for (const hostile of [
      'file:///Applications/Calculator.app?state=s',
      'smb://attacker.example/share?state=s',
      'ms-msdt:/id%20PCWDiagnostic?state=s',
    ]) {
      await assert.rejects(provider.redirectToAuthorization(new URL(hostile)), /is not http or https/);
    }
    assert.deepEqual(opened, []);
    await provider.redirectToAuthorization(new URL('https://login.demo.example/oauth/v2/oauth-authorize?state=s'));
    assert.deepEqual(opened, ['https://login.demo.example/oauth/v2/oauth-authorize?state=s']);
  } finally {
    await callback.close();
  }
});
