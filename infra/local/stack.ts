/**
 * The local target: every part of the stack as a Node process on localhost, configured from the
 * same model and generators as the Docker target. The development gateway reads the very Kong
 * configuration that Kong reads in Docker, and serves each public host on its own port.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protectedResourceMetadataUrl } from '@mcp-secured-api/contracts';
import { authorizationServerEnv, mcpServerEnv, stocksApiEnv, type InternalAddresses } from '../environments.ts';
import { kongConfigYaml } from '../kong/generate.ts';
import { buildModel, SECRET_NAMES, type Model, type Secrets, type StackConfig } from '../model.ts';
import { Part, type LogSink } from './part.ts';

export const DEFAULT_BASE_PORT = 9000;

/** Offsets from the base port. Public hosts first, then the services behind the gateway. */
const PORT_OFFSETS = {
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
type PortName = keyof typeof PORT_OFFSETS;

export type PartName = 'mail' | 'authorization-server' | 'stocks-api' | 'mcp-server' | 'gateway';

export interface ReadyInfo {
  mcp: string;
  api: string;
  login: string;
  mail: string;
  issuer: string;
  upstreams: {
    stocksApi: string;
    mcpServer: string;
    authorizationServer: string;
    mail: string;
    smtp: string;
  };
}

export interface LocalStackOptions {
  config: StackConfig;
  /** First port of the layout; 0 picks free ports (tests). */
  basePort?: number;
  log?: LogSink;
  /** Told when each part answers its health check. */
  progress?: (message: string) => void;
  /** Extra environment per part: tuning knobs for tests and the benchmark. */
  env?: Partial<Record<PartName, Record<string, string>>>;
  /**
   * Puts something between the other parts and the authorization server or the stocks API (tests
   * interpose a fault-injecting proxy): called with the part's own address, returns the address
   * every other part (the gateway included) uses instead.
   */
  interpose?: Partial<Record<'authorizationServer' | 'stocksApi', (direct: string) => string | Promise<string>>>;
}

export interface LocalStack {
  model: Model;
  /** Generated at start; held in memory only (tests use them to act as the gateway or the MCP server). */
  secrets: Secrets;
  info: ReadyInfo;
  users: Model['users'];
  part(name: PartName): Part;
  /** Process ids of every running part, for measurements. */
  pids(): Record<PartName, number | undefined>;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const ports = await allocatePorts(options.basePort ?? DEFAULT_BASE_PORT);
  const local = (port: number) => `http://localhost:${port}`;
  const direct = (port: number) => `http://127.0.0.1:${port}`;

  const model = buildModel(options.config, {
    origins: { mcp: local(ports.mcp), api: local(ports.api), login: local(ports.login), mail: local(ports.mail) },
  });
  const secrets = generateSecrets();
  const reach = async (name: 'authorizationServer' | 'stocksApi') => {
    const own = direct(ports[name]);
    return options.interpose?.[name] ? options.interpose[name](own) : own;
  };
  const internal: InternalAddresses = {
    authorizationServer: await reach('authorizationServer'),
    stocksApi: await reach('stocksApi'),
    smtp: { host: '127.0.0.1', port: ports.smtp },
  };

  // The Kong file holds the gateway's client secret: a private directory, removed at stop.
  const workDir = await mkdtemp(join(tmpdir(), 'mcp-secured-api-'));
  const kongFile = join(workDir, 'kong.yaml');
  await writeFile(
    kongFile,
    kongConfigYaml(
      model,
      {
        api: internal.stocksApi,
        mcp: direct(ports.mcpServer),
        login: internal.authorizationServer,
        mail: direct(ports.mailWeb),
      },
      secrets,
    ),
    { mode: 0o600 },
  );

  const parts = new Map<PartName, Part>();
  const add = (name: PartName, args: string[], env: Record<string, string>, healthUrl: string, portNames: PortName[]) =>
    parts.set(
      name,
      new Part(
        { name, args, env: { ...env, ...options.env?.[name] }, healthUrl, ports: Object.fromEntries(portNames.map((p) => [p, ports[p]])) },
        log,
      ),
    );

  add(
    'mail',
    ['node_modules/maildev/bin/maildev', '--ip', '127.0.0.1', '--smtp', String(ports.smtp), '--web', String(ports.mailWeb), '--silent'],
    {},
    `${direct(ports.mailWeb)}/healthz`,
    ['smtp', 'mailWeb'],
  );
  add(
    'authorization-server',
    ['services/authorization-server/main.ts'],
    authorizationServerEnv(model, internal, secrets, ports.authorizationServer, { allowLoopbackClientMetadata: true }),
    `${direct(ports.authorizationServer)}/health`,
    ['authorizationServer'],
  );
  add('stocks-api', ['services/stocks-api/main.ts'], stocksApiEnv(model, internal, ports.stocksApi), `${direct(ports.stocksApi)}/health`, [
    'stocksApi',
  ]);
  add(
    'mcp-server',
    ['services/mcp-server/main.ts'],
    mcpServerEnv(model, internal, secrets, ports.mcpServer),
    `${direct(ports.mcpServer)}/health`,
    ['mcpServer'],
  );
  add(
    'gateway',
    ['services/gateway/main.ts'],
    {
      KONG_DECLARATIVE_CONFIG: kongFile,
      GATEWAY_LISTENERS: (['mcp', 'api', 'login', 'mail'] as const).map((h) => `${model.hosts[h]}=${ports[h]}`).join(','),
    },
    // Ready when the public MCP metadata answers through the gateway: gateway and MCP server both up.
    protectedResourceMetadataUrl(model.mcpResource).href,
    ['mcp', 'api', 'login', 'mail'],
  );

  const part = (name: PartName): Part => parts.get(name)!;
  const stop = async () => {
    // The gateway first, so no request reaches a part that is going away.
    await part('gateway').stop();
    await Promise.all([...parts.values()].map((p) => p.stop()));
    await rm(workDir, { recursive: true, force: true });
  };

  try {
    const started = async (name: PartName) => {
      const begun = Date.now();
      await part(name).start();
      const ports = Object.values(part(name).spec.ports);
      const seconds = ((Date.now() - begun) / 1000).toFixed(1);
      options.progress?.(`${name} is up (port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}, ${seconds} s)`);
    };
    await Promise.all((['mail', 'authorization-server', 'stocks-api', 'mcp-server'] as const).map(started));
    await started('gateway');
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    model,
    secrets,
    users: model.users,
    info: {
      mcp: model.origins.mcp,
      api: model.origins.api,
      login: model.origins.login,
      mail: model.origins.mail,
      issuer: model.issuer,
      upstreams: {
        stocksApi: direct(ports.stocksApi),
        mcpServer: direct(ports.mcpServer),
        authorizationServer: direct(ports.authorizationServer),
        mail: direct(ports.mailWeb),
        smtp: `smtp://127.0.0.1:${ports.smtp}`,
      },
    },
    part,
    pids: () => Object.fromEntries([...parts].map(([n, p]) => [n, p.running ? p.pid : undefined])) as Record<PartName, number | undefined>,
    stop,
  };
}

function generateSecrets(): Secrets {
  return Object.fromEntries(SECRET_NAMES.map((name) => [name, randomBytes(32).toString('base64url')])) as unknown as Secrets;
}

async function allocatePorts(basePort: number): Promise<Record<PortName, number>> {
  const names = Object.keys(PORT_OFFSETS) as PortName[];
  const numbers = basePort === 0 ? await freePorts(names.length) : names.map((n) => basePort + PORT_OFFSETS[n]);
  return Object.fromEntries(names.map((n, i) => [n, numbers[i]!])) as Record<PortName, number>;
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
