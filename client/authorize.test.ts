import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authorizer, followOverHttp, type UrlOpener } from './authorize.ts';
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

test('with no browser to open, the client says so and asks for the URL to be opened by hand', async () => {
  const url = new URL('https://login.demo.example/oauth/v2/oauth-authorize?state=s');
  const opener = (outcome: (child: EventEmitter) => void) => async () => {
    const child = new EventEmitter();
    setImmediate(() => outcome(child));
    return child;
  };
  const attempt = async (openUrl: UrlOpener) => {
    const lines: string[] = [];
    await authorizer('browser', 'http://127.0.0.1:8090/callback', (line) => lines.push(line), openUrl)(url);
    await new Promise((resolve) => setImmediate(resolve));
    return lines;
  };
  const byHand = /^The browser could not be opened \((.+)\): open the URL above in a browser by hand\. Still waiting for the sign-in…$/;

  // xdg-open on a machine without a browser or display exits with status 3.
  const noBrowser = await attempt(opener((child) => child.emit('exit', 3, null)));
  assert.deepEqual(noBrowser[0], 'Opening a browser at the URL above; waiting for the sign-in to complete…');
  assert.equal(byHand.exec(noBrowser[1] ?? '')?.[1], 'the opener exited with status 3');
  // No opener at all.
  const noOpener = await attempt(
    opener((child) => child.emit('error', Object.assign(new Error('spawn xdg-open ENOENT'), { code: 'ENOENT' }))),
  );
  assert.equal(byHand.exec(noOpener[1] ?? '')?.[1], 'ENOENT');
  const failing = await attempt(async () => {
    throw new Error('unsupported platform');
  });
  assert.equal(byHand.exec(failing[1] ?? '')?.[1], 'unsupported platform');
  // A browser that opened says nothing more.
  assert.equal((await attempt(opener((child) => child.emit('exit', 0, null)))).length, 1);
});

test('following the sign-in URL over HTTP asks once more when the server resets the connection', async () => {
  let requests = 0;
  const server = createServer((request, response) => {
    requests++;
    // The first request meets a connection closed under it, as a kept-alive socket the server dropped.
    if (requests === 1) return request.socket.destroy();
    if (request.url?.startsWith('/authorize')) {
      response.writeHead(302, { location: `http://127.0.0.1:${port()}/callback?code=c&state=s` }).end();
    } else response.writeHead(200).end('signed in');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = () => (server.address() as AddressInfo).port;
  try {
    await followOverHttp(new URL(`http://127.0.0.1:${port()}/authorize?state=s`), `http://127.0.0.1:${port()}/callback`);
    assert.equal(requests, 3, 'the reset request, its repetition, and the callback');
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
