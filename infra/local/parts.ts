/**
 * What runs in the local stack: each part's command, environment, health check and ports, from
 * the same model and environment builders as the Docker target.
 */
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
}

export function partSpecs({ model, ports, internal, secrets, databaseUrl, kongFile }: PartsInput): Record<PartName, PartSpec> {
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
      ['node_modules/maildev/bin/maildev', '--ip', '127.0.0.1', '--smtp', String(ports.smtp), '--web', String(ports.mailWeb), '--silent'],
      {},
      `${direct(ports.mailWeb)}/healthz`,
      ['smtp', 'mailWeb'],
    ),
    'authorization-server': spec(
      'authorization-server',
      ['services/authorization-server/main.ts'],
      authorizationServerEnv(model, internal, secrets, ports.authorizationServer, { allowLoopbackClientMetadata: true, databaseUrl }),
      `${direct(ports.authorizationServer)}/health`,
      ['authorizationServer'],
    ),
    'stocks-api': spec(
      'stocks-api',
      ['services/stocks-api/main.ts'],
      stocksApiEnv(model, internal, ports.stocksApi),
      `${direct(ports.stocksApi)}/health`,
      ['stocksApi'],
    ),
    'mcp-server': spec(
      'mcp-server',
      ['services/mcp-server/main.ts'],
      mcpServerEnv(model, internal, secrets, ports.mcpServer),
      `${direct(ports.mcpServer)}/health`,
      ['mcpServer'],
    ),
    gateway: spec(
      'gateway',
      ['services/gateway/main.ts'],
      {
        KONG_DECLARATIVE_CONFIG: kongFile,
        GATEWAY_LISTENERS: (['mcp', 'api', 'login', 'mail'] as const).map((h) => `${model.hosts[h]}=${ports[h]}`).join(','),
      },
      // Ready when the public MCP metadata answers through the gateway: gateway and MCP server both up.
      protectedResourceMetadataUrl(model.mcpResource).href,
      ['mcp', 'api', 'login', 'mail'],
    ),
  };
}
