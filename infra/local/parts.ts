/**
 * What runs in the local stack: each part's command, environment, health check and ports, from
 * the same model and environment builders as the Docker target.
 */
import { randomBytes } from 'node:crypto';
import { protectedResourceMetadataUrl } from '@mcp-secured-api/contracts';
import { authorizationServerEnv, mcpServerEnv, stocksApiEnv, type InternalAddresses } from '../environments.ts';
import type { Model, Secrets } from '../model.ts';
import type { PartSpec } from './part.ts';
import type { PortName, Ports } from './ports.ts';

export type PartName = 'mail' | 'authorization-server' | 'stocks-api' | 'mcp-server' | 'gateway';

export const direct = (port: number) => `http://127.0.0.1:${port}`;

export interface PartsInput {
  model: Model;
  ports: Ports;
  internal: InternalAddresses;
  secrets: Secrets;
  /** The authorization server's database. */
  databaseUrl: string;
  /** The generated Kong declarative configuration the gateway reads. */
  kongFile: string;
  /** The gateway's own loopback address (`gatewaySourceAddress`); undefined: it shares 127.0.0.1. */
  gatewaySource: string | undefined;
  /** The secret path the inbox is served under on its own port, such as /3f…/ (`secretInboxPath`). */
  inboxPath: string;
}

/**
 * A path only the gateway knows, under which maildev serves its inbox (pages, API and live
 * updates): a web page that reaches maildev's own port directly (its domain rebound to
 * 127.0.0.1) finds nothing there, since maildev checks no Host and allows every origin.
 */
export function secretInboxPath(): string {
  return `/${randomBytes(16).toString('hex')}/`;
}

/** The services behind the gateway listen on loopback only: nothing off this machine reaches them. */
const LOOPBACK = '127.0.0.1';

export function partSpecs({
  model,
  ports,
  internal,
  secrets,
  databaseUrl,
  kongFile,
  gatewaySource,
  inboxPath,
}: PartsInput): Record<PartName, PartSpec> {
  const spec = (name: PartName, args: string[], env: Record<string, string>, healthUrl: string, portNames: PortName[]): PartSpec => ({
    name,
    args,
    env,
    healthUrl,
    ports: Object.fromEntries(portNames.map((p) => [p, ports[p]])),
  });
  return {
    mail: spec(
      'mail',
      [
        'node_modules/maildev/bin/maildev',
        '--ip',
        '127.0.0.1',
        '--smtp',
        String(ports.smtp),
        '--web',
        String(ports.mailWeb),
        '--base-pathname',
        inboxPath.slice(0, -1),
        '--silent',
      ],
      {},
      `${direct(ports.mailWeb)}${inboxPath}healthz`,
      ['smtp', 'mailWeb'],
    ),
    'authorization-server': spec(
      'authorization-server',
      ['services/authorization-server/main.ts'],
      {
        ...authorizationServerEnv(model, internal, secrets, ports.authorizationServer, {
          allowLoopbackClientMetadata: true,
          databaseUrl,
          trustedProxies: [gatewaySource ?? LOOPBACK],
        }),
        LISTEN_ADDRESS: LOOPBACK,
      },
      `${direct(ports.authorizationServer)}/health`,
      ['authorizationServer'],
    ),
    'stocks-api': spec(
      'stocks-api',
      ['services/stocks-api/main.ts'],
      { ...stocksApiEnv(model, internal, ports.stocksApi), LISTEN_ADDRESS: LOOPBACK },
      `${direct(ports.stocksApi)}/health`,
      ['stocksApi'],
    ),
    'mcp-server': spec(
      'mcp-server',
      ['services/mcp-server/main.ts'],
      { ...mcpServerEnv(model, internal, secrets, ports.mcpServer), LISTEN_ADDRESS: LOOPBACK },
      `${direct(ports.mcpServer)}/health`,
      ['mcpServer'],
    ),
    gateway: spec(
      'gateway',
      ['services/gateway/main.ts'],
      {
        KONG_DECLARATIVE_CONFIG: kongFile,
        GATEWAY_LISTENERS: (['mcp', 'api', 'login', 'mail'] as const).map((h) => `${model.hosts[h]}=${ports[h]}`).join(','),
        ...(gatewaySource ? { GATEWAY_SOURCE_ADDRESS: gatewaySource } : {}),
      },
      // Ready when the public MCP metadata answers through the gateway: gateway and MCP server both up.
      protectedResourceMetadataUrl(model.mcpResource).href,
      ['mcp', 'api', 'login', 'mail'],
    ),
  };
}
