/**
 * Entry point of the development gateway. Reads the Kong declarative configuration named by
 * KONG_DECLARATIVE_CONFIG and serves it on GATEWAY_LISTENERS (host=port pairs) or PORT, then
 * prints one line `gateway ready <json>` on stdout.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { KongConfigError, loadKongConfig } from './config.ts';
import { serveGateway, type Listener } from './serve.ts';

const port = z.coerce.number().int().min(0).max(65_535);
const positive = z.coerce.number().int().min(1);

const envSchema = z
  .object({
    KONG_DECLARATIVE_CONFIG: z.string({ error: 'is required: the path of the Kong declarative configuration (YAML)' }).min(1),
    GATEWAY_LISTENERS: z
      .string()
      .transform((value, ctx) => {
        const listeners: Listener[] = [];
        for (const pair of value
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean)) {
          const [host, p] = pair.split('=');
          const parsed = port.safeParse(p);
          if (!host || !parsed.success) {
            ctx.addIssue({
              code: 'custom',
              message: `has "${pair}"; expected host=port pairs such as mcp.demo.example=8001,api.demo.example=8002`,
            });
            return z.NEVER;
          }
          listeners.push({ virtualHost: host.toLowerCase(), port: parsed.data });
        }
        return listeners;
      })
      .optional(),
    PORT: port.optional(),
    GATEWAY_BIND: z.string().min(1).default('127.0.0.1'),
    GATEWAY_SCHEME: z.enum(['http', 'https']).default('http'),
    // The gateway's own address towards the services (e.g. 127.0.100.1), which they trust for X-Forwarded-For.
    GATEWAY_SOURCE_ADDRESS: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address of this machine' }).optional(),
    GATEWAY_MAX_BODY_BYTES: positive.optional(),
    GATEWAY_INTROSPECTION_TIMEOUT_MS: positive.optional(),
  })
  .refine((e) => e.GATEWAY_LISTENERS?.length || e.PORT !== undefined, {
    message: 'set GATEWAY_LISTENERS (host=port pairs such as mcp.demo.example=8001) or PORT (one port, routing by the Host header)',
    path: ['GATEWAY_LISTENERS'],
  });

function fail(message: string): never {
  process.stderr.write(`gateway: ${message}\n`);
  process.exit(1);
}

const parsed = envSchema.safeParse(process.env);
if (!parsed.success) {
  fail(`bad environment:\n${parsed.error.issues.map((i) => `  - ${String(i.path[0] ?? '')} ${i.message}`).join('\n')}`);
}
const env = parsed.data;

let yamlText: string;
try {
  yamlText = readFileSync(env.KONG_DECLARATIVE_CONFIG, 'utf8');
} catch (e) {
  fail(`cannot read KONG_DECLARATIVE_CONFIG ${env.KONG_DECLARATIVE_CONFIG}: ${(e as Error).message}`);
}

try {
  const config = loadKongConfig(yamlText);
  const running = await serveGateway(config, env.GATEWAY_LISTENERS?.length ? env.GATEWAY_LISTENERS : [{ port: env.PORT! }], {
    hostname: env.GATEWAY_BIND,
    scheme: env.GATEWAY_SCHEME,
    maxBodyBytes: env.GATEWAY_MAX_BODY_BYTES,
    introspectionTimeoutMs: env.GATEWAY_INTROSPECTION_TIMEOUT_MS,
    sourceAddress: env.GATEWAY_SOURCE_ADDRESS,
  });
  const listeners = Object.fromEntries(running.listeners.map((l) => [l.virtualHost ?? '*', l.url]));
  process.stdout.write(`gateway ready ${JSON.stringify({ listeners })}\n`);
  const stop = () => {
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (e) {
  fail(e instanceof KongConfigError ? `${e.message}\n(in ${env.KONG_DECLARATIVE_CONFIG})` : (e as Error).message);
}
