/**
 * An HTTP balancer on loopback for tests of several instances: each request goes to the next
 * backend in turn (or always to one, when pinned), as a load balancer without session affinity
 * does, so every step of a flow may land on another instance.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobin {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Backend base URLs (http://host:port); set before the first request. */
  backends: string[];
  /** Sends every request to backend `index`; undefined goes back to taking turns. */
  pin(index: number | undefined): void;
  /** How many requests each backend received. */
  counts(): number[];
  close(): Promise<void>;
}

export async function startRoundRobin(): Promise<RoundRobin> {
  let next = 0;
  let pinned: number | undefined;
  const served: number[] = [];
  const balancer: RoundRobin = {
    url: '',
    backends: [],
    pin: (index) => (pinned = index),
    counts: () => balancer.backends.map((_, i) => served[i] ?? 0),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const index = pinned ?? next++ % balancer.backends.length;
    served[index] = (served[index] ?? 0) + 1;
    const target = new URL(incoming.url ?? '/', balancer.backends[index]);
    const forward = request(target, { method: incoming.method, headers: incoming.headers, agent: false }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forward.on('error', () => {
      outgoing.writeHead(502);
      outgoing.end();
    });
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  balancer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return balancer;
}
