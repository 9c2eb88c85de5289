import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { introspect, IntrospectionAgents } from './introspection.ts';

/** An introspection endpoint that starts an answer with `status` and drops the connection mid-body. */
describe('introspect when the answer is cut short', { timeout: 5_000 }, () => {
  let server: Server;
  let url: string;
  const agents = new IntrospectionAgents();
  before(async () => {
    server = createServer((req, res) => {
      const status = Number(new URL(req.url!, 'http://x').searchParams.get('status'));
      req.resume();
      res.writeHead(status, { 'content-type': 'application/jwt', 'content-length': '100' });
      res.write('0123456789');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/introspect`;
  });
  after(async () => {
    agents.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const call = (status: number) =>
    introspect({
      endpoint: `${url}?status=${status}`,
      clientId: 'c',
      clientSecret: 's',
      token: 't',
      timeoutMs: 10_000,
      verifySsl: true,
      agents,
    });

  it('settles promptly with the status of a refusal whose body breaks off', async () => {
    const started = Date.now();
    assert.deepEqual(await call(503), { status: 503 });
    assert.ok(Date.now() - started < 2_000);
  });

  it('fails a success whose JWT breaks off: never a partial token', async () => {
    const result = await call(200);
    assert.equal(result.status, 'failed');
  });
});
