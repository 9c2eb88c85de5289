import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientMetadataError, createClientMetadataDocuments, type ClientMetadataDocumentOptions } from './client-metadata-document.ts';

/** A loopback server whose answers the tests choose per path. */
let server: Server;
let base: string;
const fetches: string[] = [];
const sockets = new Set<import('node:net').Socket>();
/** Answers held back until `releaseHeld()`: slow documents. */
const held: (() => void)[] = [];
const releaseHeld = () => held.splice(0).forEach((answer) => answer());
/** Waits until `n` requests are held (so that a release answers them all). */
async function heldCount(n: number) {
  for (let waited = 0; held.length < n; waited += 10) {
    assert.ok(waited < 5_000, `${n} requests held (${held.length} are)`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function document(path: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({ client_id: `${base}${path}`, client_name: 'Agent', redirect_uris: ['http://127.0.0.1:3000/callback'], ...extra });
}

before(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    fetches.push(path);
    const json = (body: string, headers: Record<string, string> = {}) => {
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    if (path.startsWith('/held/')) return void held.push(() => json(document(path)));
    switch (path) {
      case '/ok.json':
        return json(document(path), { 'cache-control': 'max-age=120' });
      case '/no-store.json':
        return json(document(path), { 'cache-control': 'no-store' });
      case '/slow-ok.json':
        return setTimeout(() => json(document(path)), 100);
      case '/redirect.json':
        res.writeHead(302, { location: `${base}/ok.json` });
        return res.end();
      case '/mismatch.json':
        return json(document(path, { client_id: `${base}/other.json` }));
      case '/secret.json':
        return json(document(path, { client_secret: 'shh', token_endpoint_auth_method: 'client_secret_post' }));
      case '/private-key.json':
        return json(document(path, { jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }] } }));
      case '/http-redirect-uri.json':
        return json(document(path, { redirect_uris: ['http://agent.example/cb'] }));
      case '/big-declared.json':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(1_000_000) });
        return res.end();
      case '/big-chunked.json':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(`{"client_id":"${base}${path}","padding":"`);
        for (let i = 0; i < 20; i++) res.write('x'.repeat(1024));
        return res.end('"}');
      case '/hang.json':
        return; // never answers
      case '/not-json.json':
        return json('<html>');
      default:
        res.writeHead(404);
        return res.end();
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

function documents(options: Partial<ClientMetadataDocumentOptions> = {}) {
  return createClientMetadataDocuments({
    allowLoopback: true,
    allowPrivateNetworks: false,
    knownScopes: ['stocks/read'],
    timeoutMs: 500,
    ...options,
  });
}

async function refused(promise: Promise<unknown>, reason: ClientMetadataError['reason']) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ClientMetadataError, String(error));
    assert.equal(error.reason, reason, error.message);
    assert.equal(error.code, `ERR_CLIENT_METADATA_${reason.toUpperCase()}`);
    return true;
  });
}

test('a valid document on an allowed loopback host is accepted', async () => {
  const metadata = await documents().resolve(`${base}/ok.json`);
  assert.deepEqual(metadata.redirectUris, ['http://127.0.0.1:3000/callback']);
  assert.equal(metadata.clientName, 'Agent');
  assert.equal(metadata.tokenEndpointAuthMethod, 'none');
});

test('loopback, private, link-local and metadata addresses are refused unless allowed', async () => {
  const strict = documents({ allowLoopback: false });
  await refused(strict.resolve(`${base}/ok.json`), 'invalid_url'); // http is loopback-only
  await refused(strict.resolve(`https://127.0.0.1:${new URL(base).port}/ok.json`), 'address_not_allowed');
  await refused(strict.resolve('https://[::1]/ok.json'), 'address_not_allowed');
  await refused(strict.resolve('https://10.0.0.8/client.json'), 'address_not_allowed');
  await refused(strict.resolve('https://192.168.1.1/client.json'), 'address_not_allowed');
  await refused(strict.resolve('https://[fd00:ec2::254]/client.json'), 'address_not_allowed');
  await refused(strict.resolve('https://[::ffff:7f00:1]/client.json'), 'address_not_allowed');
  // A name resolving to loopback is refused when the connection is made, before any request.
  const before = fetches.length;
  await refused(strict.resolve(`https://localhost:${new URL(base).port}/ok.json`), 'address_not_allowed');
  await assert.rejects(
    strict.resolve(`https://localhost:${new URL(base).port}/ok.json`),
    (error: Error) => !/127\.0\.0\.1|::1/.test(error.message),
    'the resolved address is not revealed',
  );
  assert.equal(fetches.length, before);
  // Link-local (cloud metadata) is never allowed, whatever the policy.
  const lax = documents({ allowLoopback: true, allowPrivateNetworks: true });
  await refused(lax.resolve('https://169.254.169.254/latest/meta-data.json'), 'address_not_allowed');
  await refused(lax.resolve('http://169.254.169.254/latest/meta-data.json'), 'invalid_url');
});

test('redirects are not followed', async () => {
  await refused(documents().resolve(`${base}/redirect.json`), 'redirect_refused');
});

test("the document's client_id must equal its URL", async () => {
  await refused(documents().resolve(`${base}/mismatch.json`), 'client_id_mismatch');
});

test('oversized documents are refused, early when Content-Length says so', async () => {
  await refused(documents().resolve(`${base}/big-declared.json`), 'too_large');
  await refused(documents().resolve(`${base}/big-chunked.json`), 'too_large');
});

test('a host that does not answer times out', async () => {
  const started = Date.now();
  await refused(documents({ timeoutMs: 200 }).resolve(`${base}/hang.json`), 'timeout');
  assert.ok(Date.now() - started < 2_000);
});

test('documents with secrets or private keys, bad redirect URIs or no JSON are refused', async () => {
  await refused(documents().resolve(`${base}/secret.json`), 'secret_in_document');
  await refused(documents().resolve(`${base}/private-key.json`), 'secret_in_document');
  await refused(documents().resolve(`${base}/http-redirect-uri.json`), 'invalid_document');
  await refused(documents().resolve(`${base}/not-json.json`), 'invalid_document');
  await refused(documents().resolve(`${base}/missing.json`), 'bad_status');
});

test('URLs with dot segments, fragments, user info or no path are refused without a request', async () => {
  const before = fetches.length;
  for (const url of [
    `${base}/a/../ok.json`,
    `${base}/./ok.json`,
    `${base}/%2e%2e/ok.json`,
    `${base}/ok.json#x`,
    `http://user:pw@127.0.0.1:${new URL(base).port}/ok.json`,
    `${base}/`,
    'ftp://agent.example/x.json',
  ]) {
    await refused(documents().resolve(url), 'invalid_url');
  }
  assert.equal(fetches.length, before);
});

test('documents are cached within bounds and concurrent fetches of one URL share one request', async () => {
  const docs = documents();
  let before = fetches.filter((f) => f === '/slow-ok.json').length;
  await Promise.all([docs.resolve(`${base}/slow-ok.json`), docs.resolve(`${base}/slow-ok.json`), docs.resolve(`${base}/slow-ok.json`)]);
  assert.equal(fetches.filter((f) => f === '/slow-ok.json').length, before + 1);
  await docs.resolve(`${base}/slow-ok.json`);
  assert.equal(fetches.filter((f) => f === '/slow-ok.json').length, before + 1, 'served from the cache');
  // no-store is raised to the minimum cache time, so a flood of authorizations cannot become a flood of fetches.
  before = fetches.filter((f) => f === '/no-store.json').length;
  await docs.resolve(`${base}/no-store.json`);
  await docs.resolve(`${base}/no-store.json`);
  assert.equal(fetches.filter((f) => f === '/no-store.json').length, before + 1);
  // Failures are not cached.
  const failing = documents();
  await refused(failing.resolve(`${base}/mismatch.json`), 'client_id_mismatch');
  before = fetches.length;
  await refused(failing.resolve(`${base}/mismatch.json`), 'client_id_mismatch');
  assert.equal(fetches.length, before + 1);
});

describe('fetch slots are shared fairly', () => {
  /** Another loopback host (its own address), serving one good document. */
  let other: Server;
  let otherBase: string;
  before(async () => {
    other = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ client_id: `${otherBase}${req.url}`, redirect_uris: ['http://127.0.0.1:3000/callback'] }));
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.2', resolve));
    otherBase = `http://127.0.0.2:${(other.address() as AddressInfo).port}`;
  });
  after(async () => {
    releaseHeld();
    other.closeAllConnections();
    await new Promise((resolve) => other.close(resolve));
  });

  /** Starts resolving `urls` for `source`; returns how many were refused as busy at once, and the rest. */
  async function flood(docs: ReturnType<typeof documents>, source: string, urls: string[]) {
    const outcomes = urls.map((url) =>
      docs.resolve(url, source).then(
        () => 'resolved',
        (error: unknown) => (error instanceof ClientMetadataError ? error.reason : String(error)),
      ),
    );
    // Refusals come at once; the fetches that got a slot wait for their slow documents.
    const settled = await Promise.all(outcomes.map((o) => Promise.race([o, new Promise((r) => setTimeout(() => r('pending'), 200))])));
    return { busy: settled.filter((o) => o === 'busy').length, pending: settled.filter((o) => o === 'pending').length, outcomes };
  }
  const slow = (n: number, prefix = 'a') => Array.from({ length: n }, (_, i) => `${base}/held/${prefix}${i}.json`);

  test("105 slow documents from one source leave the other sources' clients their fetches", async () => {
    const docs = documents({ timeoutMs: 10_000 });
    const attack = await flood(docs, '198.51.100.66', slow(105));
    assert.ok(attack.pending <= 10, `the source holds at most its share: ${attack.pending}`);
    assert.equal(attack.busy + attack.pending, 105);
    const metadata = await docs.resolve(`${otherBase}/agent.json`, '203.0.113.5');
    assert.deepEqual(metadata.redirectUris, ['http://127.0.0.1:3000/callback'], "another source's client, while the slow ones wait");
    await heldCount(attack.pending);
    releaseHeld();
    const done = await Promise.all(attack.outcomes);
    assert.equal(done.filter((o) => o === 'resolved').length, attack.pending, 'the slow ones complete once answered');
  });

  test('one source gets at most its share; another source naming the same host still gets its fetch', async () => {
    const docs = documents({ timeoutMs: 10_000, fetchSlots: { total: 100, perSource: 10, perHost: 1_000 } });
    const attack = await flood(docs, '198.51.100.66', slow(50, 'b'));
    assert.equal(attack.pending, 10);
    assert.equal(attack.busy, 40);
    const mine = docs.resolve(`${base}/held/c.json`, '203.0.113.5');
    const refused = await docs.resolve(`${base}/held/b-more.json`, '198.51.100.66').catch((e: ClientMetadataError) => e.message);
    assert.match(String(refused), /for requests from your address/);
    await heldCount(11);
    releaseHeld();
    assert.ok(await mine);
    await Promise.all(attack.outcomes);
  });

  test('one host gets at most its share of fetches, whoever names it; other hosts are fetched meanwhile', async () => {
    const docs = documents({ timeoutMs: 10_000, fetchSlots: { total: 100, perSource: 1_000, perHost: 10 } });
    const sources = Array.from({ length: 30 }, (_, i) => `192.0.2.${i + 1}`);
    const floods = await Promise.all(sources.map((source, i) => flood(docs, source, slow(1, `d${i}-`))));
    assert.equal(
      floods.reduce((n, f) => n + f.pending, 0),
      10,
    );
    assert.equal(
      floods.reduce((n, f) => n + f.busy, 0),
      20,
    );
    assert.ok(await docs.resolve(`${otherBase}/agent.json`, '192.0.2.1'));
    await heldCount(10);
    releaseHeld();
    await Promise.all(floods.flatMap((f) => f.outcomes));
  });
});
