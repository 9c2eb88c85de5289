/**
 * The local target: every part of the stack as a Node process on localhost, configured from the
 * same model and generators as the Docker target. The development gateway reads the very Kong
 * configuration that Kong reads in Docker, and serves each public host on its own port. The
 * authorization server keeps its state in a data folder (data-folder.ts), so a restart loses
 * nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InternalAddresses } from '../environments.ts';
import { kongConfigYaml } from '../kong/generate.ts';
import { buildModel, SECRET_NAMES, type Model, type Secrets, type StackConfig } from '../model.ts';
import { openDataFolder, temporaryDataFolder, type DataFolder, type KeptSecrets } from './data-folder.ts';
import { Part, type LogSink } from './part.ts';
import { bundleService } from './bundle.ts';
import { direct, partSpecs, secretInboxPath, SERVICE_ENTRY_POINTS, type PartName, type ServiceName } from './parts.ts';
import { allocatePorts, DEFAULT_BASE_PORT, GATEWAY_SOURCE_ADDRESS, gatewaySourceAddress, type Ports } from './ports.ts';

export { DEFAULT_BASE_PORT, freePorts } from './ports.ts';
export type { PartName } from './parts.ts';

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
  /** Exactly these ports (a test restarting a stack on the layout it had), instead of `basePort`. */
  ports?: Ports;
  /** Where the state is kept between starts (`.data/<stack>` for `npm start`); default: a temporary folder removed at stop. */
  dataDir?: string;
  /** Empty `dataDir` before starting. */
  fresh?: boolean;
  /** The authorization server's database, instead of the embedded one in the data folder (tests on PostgreSQL). */
  databaseUrl?: string;
  log?: LogSink;
  /** Told where the data lives, then when each part answers its health check. */
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
  /** The client secrets are made at each start, the others kept in the data folder; held in memory only (tests use them to act as the gateway or the MCP server). */
  secrets: Secrets;
  info: ReadyInfo;
  users: Model['users'];
  /** Where the state lives (absolute path). */
  dataDir: string;
  ports: Ports;
  part(name: PartName): Part;
  /** Process ids of every running part, for measurements. */
  pids(): Record<PartName, number | undefined>;
  stop(): Promise<void>;
}

/** The client secrets are made at each start; the others are kept with the data. */
function secretsFor(kept: KeptSecrets): Secrets {
  const made = Object.fromEntries(SECRET_NAMES.map((name) => [name, randomBytes(32).toString('base64url')])) as unknown as Secrets;
  return { ...made, ...kept };
}

async function internalAddresses(ports: Ports, interpose: LocalStackOptions['interpose']): Promise<InternalAddresses> {
  const reach = async (name: 'authorizationServer' | 'stocksApi') => {
    const own = direct(ports[name]);
    return interpose?.[name] ? interpose[name](own) : own;
  };
  return {
    authorizationServer: await reach('authorizationServer'),
    stocksApi: await reach('stocksApi'),
    smtp: { host: '127.0.0.1', port: ports.smtp },
  };
}

/** The Kong file holds the gateway's client secret: a private directory, removed at stop. */
async function writeKongFile(model: Model, ports: Ports, internal: InternalAddresses, secrets: Secrets, inbox: string) {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-secured-api-'));
  const file = join(dir, 'kong.yaml');
  const upstreams = {
    api: internal.stocksApi,
    mcp: direct(ports.mcpServer),
    login: internal.authorizationServer,
    mail: `${direct(ports.mailWeb)}${inbox}`,
  };
  await writeFile(file, kongConfigYaml(model, upstreams, secrets), { mode: 0o600 });
  return { file, remove: () => rm(dir, { recursive: true, force: true }) };
}

function readyInfo(model: Model, ports: Ports, inbox: string): ReadyInfo {
  return {
    mcp: model.origins.mcp,
    api: model.origins.api,
    login: model.origins.login,
    mail: model.origins.mail,
    issuer: model.issuer,
    upstreams: {
      stocksApi: direct(ports.stocksApi),
      mcpServer: direct(ports.mcpServer),
      authorizationServer: direct(ports.authorizationServer),
      mail: `${direct(ports.mailWeb)}${inbox}`,
      smtp: `smtp://127.0.0.1:${ports.smtp}`,
    },
  };
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const progress = options.progress ?? (() => {});
  const ports = options.ports ?? (await allocatePorts(options.basePort ?? DEFAULT_BASE_PORT));
  const model = localModel(options.config, ports);
  const data = await openData(options);
  const secrets = secretsFor(data.secrets);
  const internal = await internalAddresses(ports, options.interpose);
  const inbox = secretInboxPath();
  const kong = await writeKongFile(model, ports, internal, secrets, inbox);
  const gatewaySource = await gatewaySourceAddress();
  if (!gatewaySource) {
    options.progress?.(
      `the gateway shares 127.0.0.1 with this machine's other processes (${GATEWAY_SOURCE_ADDRESS} is not a loopback address here), ` +
        'so they could name another client address to the rate limits',
    );
  }
  const specs = partSpecs({
    model,
    ports,
    internal,
    secrets,
    databaseUrl: options.databaseUrl ?? data.databaseUrl,
    kongFile: kong.file,
    gatewaySource,
    inboxPath: inbox,
    scripts: await bundleServices(),
  });
  const parts = new Map(
    (Object.keys(specs) as PartName[]).map((name) => [
      name,
      new Part({ ...specs[name], env: { ...specs[name].env, ...options.env?.[name] } }, options.log ?? (() => {})),
    ]),
  );
  const part = (name: PartName): Part => parts.get(name)!;
  const stop = async () => {
    // The gateway first, so no request reaches a part that is going away.
    await part('gateway').stop();
    await Promise.all([...parts.values()].map((p) => p.stop()));
    await kong.remove();
    await data.close();
  };

  try {
    await startParts([...parts.values()], progress);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    model,
    secrets,
    users: model.users,
    info: readyInfo(model, ports, inbox),
    dataDir: data.path,
    ports,
    part,
    pids: () => Object.fromEntries([...parts].map(([n, p]) => [n, p.running ? p.pid : undefined])) as Record<PartName, number | undefined>,
    stop,
  };
}

/** Each service's entry point bundled (bundle.ts), all at once. */
async function bundleServices(): Promise<Record<ServiceName, string>> {
  const entries = Object.entries(SERVICE_ENTRY_POINTS) as [ServiceName, string][];
  return Object.fromEntries(await Promise.all(entries.map(async ([name, entry]) => [name, await bundleService(entry)]))) as Record<
    ServiceName,
    string
  >;
}

/** The model with its public origins on this machine's ports. */
function localModel(config: StackConfig, ports: Ports): Model {
  const local = (port: number) => `http://localhost:${port}`;
  return buildModel(config, {
    origins: { mcp: local(ports.mcp), api: local(ports.api), login: local(ports.login), mail: local(ports.mail) },
  });
}

/** The data folder asked for (or a temporary one), saying where it is. */
async function openData(options: LocalStackOptions): Promise<DataFolder> {
  const data = options.dataDir ? await openDataFolder(options.dataDir, { fresh: options.fresh }) : await temporaryDataFolder();
  options.progress?.(
    options.dataDir
      ? `data in ${data.shown}/ (${data.created ? 'new' : 'kept from the last start; --fresh starts empty'})`
      : `data in a temporary folder, removed at stop`,
  );
  return data;
}

/**
 * Starts every part at once and resolves when each answers its health check, telling of each as
 * it does. The gateway need not wait for the others: its own health check goes through it to the
 * MCP server, so it is not ready before that is.
 */
async function startParts(parts: Part[], progress: (message: string) => void): Promise<void> {
  await Promise.all(
    parts.map(async (part) => {
      const begun = Date.now();
      await part.start();
      const used = Object.values(part.spec.ports);
      const seconds = ((Date.now() - begun) / 1000).toFixed(1);
      progress(`${part.name} is up (port${used.length > 1 ? 's' : ''} ${used.join(', ')}, ${seconds} s)`);
    }),
  );
}
