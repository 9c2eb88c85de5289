/**
 * A TCP proxy on loopback that the resilience tests put in front of a part, to make it slow or
 * unreachable without stopping it (so its in-memory state, such as issued tokens, survives):
 *
 * - `pass`: bytes flow both ways;
 * - `stall`: connections are accepted and what they send is swallowed, nothing ever answers
 *   (slower than any time-out);
 * - `down`: every connection is reset at once.
 *
 * Changing the mode ends the connections open until then, so kept-alive connections feel it too.
 */
import { createServer, connect, type Socket } from 'node:net';

export type FaultMode = 'pass' | 'stall' | 'down';

export interface FaultProxy {
  /** http://127.0.0.1:<port> */
  url: string;
  readonly mode: FaultMode;
  set(mode: FaultMode): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  let mode: FaultMode = 'pass';

  const server = createServer((client) => {
    if (mode === 'down') {
      client.resetAndDestroy();
      return;
    }
    open.add(client);
    client.once('close', () => open.delete(client));
    client.on('error', () => {});
    if (mode === 'stall') {
      client.resume();
      return;
    }
    const upstream = connect({ host: hostname, port: Number(port) });
    open.add(upstream);
    upstream.once('close', () => {
      open.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.resetAndDestroy());
    client.once('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const proxyPort = (server.address() as { port: number }).port;

  return {
    url: `http://127.0.0.1:${proxyPort}`,
    get mode() {
      return mode;
    },
    set(next) {
      mode = next;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
