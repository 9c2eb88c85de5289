/** The local stack's port layout: one port per public host, then the services behind the gateway. */
import { createServer } from 'node:net';

export const DEFAULT_BASE_PORT = 9000;

/** Offsets from the base port. Public hosts first, then the services behind the gateway. */
export const PORT_OFFSETS = {
  mcp: 0,
  api: 1,
  login: 2,
  mail: 3,
  stocksApi: 10,
  mcpServer: 11,
  authorizationServer: 12,
  mailWeb: 13,
  smtp: 25,
} as const;
export type PortName = keyof typeof PORT_OFFSETS;
export type Ports = Record<PortName, number>;

/** The layout from `basePort`; 0 picks free ports (tests). */
export async function allocatePorts(basePort: number): Promise<Ports> {
  const names = Object.keys(PORT_OFFSETS) as PortName[];
  const numbers = basePort === 0 ? await freePorts(names.length) : names.map((n) => basePort + PORT_OFFSETS[n]);
  return Object.fromEntries(names.map((n, i) => [n, numbers[i]!])) as Ports;
}

/** Holds every listener open until all are bound, so the ports are distinct. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  const ports = await Promise.all(
    servers.map(
      (server) =>
        new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
        }),
    ),
  );
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * The development gateway's own loopback address: it connects to the services from here, and the
 * authorization server believes X-Forwarded-For from this address only, so no other process on
 * this machine (nor a web page rebound to 127.0.0.1) can choose the address its rate limits count.
 */
export const GATEWAY_SOURCE_ADDRESS = '127.0.100.1';

/**
 * The gateway's own loopback address when this machine has it (Linux and Windows answer on all of
 * 127.0.0.0/8; macOS only on the addresses given to lo0), else undefined.
 */
export async function gatewaySourceAddress(): Promise<string | undefined> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, GATEWAY_SOURCE_ADDRESS, resolve);
    });
    return GATEWAY_SOURCE_ADDRESS;
  } catch {
    return undefined;
  } finally {
    server.close();
  }
}
