/**
 * Benchmark only: the chain gateway → MCP server → stocks API as separate processes, like the
 * local stack, but with security taken out: the gateway reads the generated Kong configuration
 * without its phantom-token plugins, and the services are the product's apps composed with
 * stand-ins for their security (see insecure-service.ts). With `hop: 'plain-hop'`, a plain HTTP
 * service takes the MCP server's place: the same hops without MCP.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { generateKongConfig } from '../../infra/kong/generate.ts';
import type { KongConfig } from '../../infra/kong/types.ts';
import { bundleService } from '../../infra/local/bundle.ts';
import { Part, type LogSink } from '../../infra/local/part.ts';
import { freePorts } from '../../infra/local/stack.ts';
import { buildModel, type StackConfig } from '../../infra/model.ts';

export interface InsecureChain {
  /** Where MCP clients post, through the gateway. */
  mcpUrl: string;
  /** By the names of the local stack's parts: gateway, mcp-server, stocks-api. */
  pids(): Record<string, number | undefined>;
  stop(): Promise<void>;
}

export async function startInsecureChain(options: {
  config: StackConfig;
  /** Who every request is taken to be. */
  user: { email: string; region: string };
  log: LogSink;
  /** What sits between the gateway and the stocks API. Default: the MCP server. */
  hop?: 'mcp-server' | 'plain-hop';
}): Promise<InsecureChain> {
  const hop = options.hop ?? 'mcp-server';
  // Part names: the position in the chain, prefixed with what kind of chain it is.
  const label = hop === 'plain-hop' ? 'plain' : 'insecure';
  const [gatewayPort, mcpPort, apiPort] = await freePorts(3);
  const local = (port: number) => `http://localhost:${port}`;
  const direct = (port: number) => `http://127.0.0.1:${port}`;
  const unused = direct(9);
  const model = buildModel(options.config, { origins: { mcp: local(gatewayPort!), api: unused, login: unused, mail: unused } });

  const workDir = await mkdtemp(join(tmpdir(), `bench-${label}-`));
  const kongFile = join(workDir, 'kong.yaml');
  const kong = withoutPhantomToken(
    // The phantom-token plugin, the only user of the secret, is taken out below.
    generateKongConfig(
      model,
      { api: direct(apiPort!), mcp: direct(mcpPort!), login: unused, mail: unused },
      {
        gatewayClientSecret: randomBytes(32).toString('base64url'),
      },
    ),
  );
  await writeFile(kongFile, stringify(kong), { mode: 0o600 });

  const identity = { SUBJECT: options.user.email, REGION: options.user.region };
  // Bundled as the local stack's services are, so that both chains run the same form of the code.
  const [insecureService, gateway] = await Promise.all([
    bundleService('test/bench/insecure-service.ts'),
    bundleService('services/gateway/main.ts'),
  ]);
  const parts = [
    new Part(
      {
        name: `${label}-stocks-api`,
        args: ['--enable-source-maps', insecureService, 'stocks-api'],
        env: { ...identity, PORT: String(apiPort) },
        healthUrl: `${direct(apiPort!)}/health`,
        ports: { api: apiPort! },
      },
      options.log,
    ),
    new Part(
      {
        name: `${label}-mcp-server`,
        args: ['--enable-source-maps', insecureService, hop],
        env: {
          ...identity,
          PORT: String(mcpPort),
          PUBLIC_ORIGIN: model.origins.mcp,
          ISSUER: model.issuer,
          REQUIRED_SCOPE: model.scope,
          API_BASE_URL: direct(apiPort!),
        },
        healthUrl: `${direct(mcpPort!)}/health`,
        ports: { mcp: mcpPort! },
      },
      options.log,
    ),
    new Part(
      {
        name: `${label}-gateway`,
        args: ['--enable-source-maps', gateway],
        env: { KONG_DECLARATIVE_CONFIG: kongFile, GATEWAY_LISTENERS: `${model.hosts.mcp}=${gatewayPort}` },
        healthUrl: `${local(gatewayPort!)}/health`,
        ports: { gateway: gatewayPort! },
      },
      options.log,
    ),
  ];
  const stop = async () => {
    for (const part of [...parts].reverse()) await part.stop();
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    for (const part of parts) await part.start();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    mcpUrl: model.mcpResource,
    pids: () => Object.fromEntries(parts.map((p) => [p.name.slice(label.length + 1), p.pid])),
    stop,
  };
}

function withoutPhantomToken(config: KongConfig): KongConfig {
  const keep = <T extends { plugins?: { name: string }[] }>(item: T): T => ({
    ...item,
    plugins: item.plugins?.filter((p) => p.name !== 'phantom-token'),
  });
  return { ...config, services: config.services.map((s) => ({ ...keep(s), routes: s.routes?.map(keep) })) };
}
