/**
 * Cost as work grows: the local stack's gateway, MCP server and stocks API, secured as always,
 * with many distinct users' tokens in rotation. The authorization server runs in this process,
 * configured with as many users as asked for (more than an environment variable can carry), and
 * gives each user a token at its real token endpoint (see signed-in-codes.ts). The gateway,
 * the MCP server and the stocks API validate every token as they do any other.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Options } from 'autocannon';
import { AS_PATHS } from '@mcp-secured-api/contracts';
import { authorizationServerEnv } from '../../infra/environments.ts';
import type { LogSink } from '../../infra/local/part.ts';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import type { StackConfig } from '../../infra/model.ts';
import { createAuthorizationServer, type AuthorizationServer } from '../../services/authorization-server/app.ts';
import { configFromEnv } from '../../services/authorization-server/env.ts';
import { registerPublicClient } from '../support/tokens.ts';
import { databaseWithSignIns } from './signed-in-codes.ts';

export interface ScaleStack {
  /** One token per user, in the order of `users`. */
  tokens: string[];
  /** tools/call load through the gateway, each request with the next of the tokens `from` to `to` (excluded). */
  toolCalls(to: number, from?: number): Options;
  /** The processes on the request path, by their names in the local stack. */
  pids(): Record<string, number | undefined>;
  /** Each of those processes' live heap after a full garbage collection, in KiB. */
  liveHeapKiB(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

const REDIRECT_URI = 'http://127.0.0.1:8090/callback';
const HEAP_PROBE = new URL('../support/heap-probe.mjs', import.meta.url).href;
const TOOL_CALL = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'fetch-stock-prices', arguments: {} } });

export async function startScaleStack(options: {
  config: StackConfig;
  users: number;
  log: LogSink;
  progress: (line: string) => void;
}): Promise<ScaleStack> {
  let server: AuthorizationServer | undefined;
  const listener = serve({ fetch: (request) => server!.app.fetch(request), port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise((resolve) => listener.once('listening', resolve));
  const asUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  let stack: LocalStack | undefined;
  const heapReports = new Map<string, (bytes: number) => void>();
  const stop = async () => {
    await stack?.stop();
    await server?.close();
    await new Promise((resolve) => listener.close(resolve));
  };
  try {
    // Every part reaches the authorization server here instead of the stack's own. The parts on the
    // request path report their live heap when asked (heap-probe.mjs).
    const probe = { NODE_OPTIONS: `--expose-gc --import=${HEAP_PROBE}` };
    stack = await startLocalStack({
      // The longest revocation window: a size's rounds outlast the default 30 s, and what is measured
      // here is how the caches scale with users, not how often they are refilled from an
      // authorization server that shares the load generator's process.
      config: { ...options.config, introspectionCacheSeconds: 300 },
      basePort: 0,
      log: (part, line) => {
        const bytes = /^heap-probe (\d+)$/.exec(line)?.[1];
        if (bytes) heapReports.get(part)?.(Number(bytes));
        else options.log(part, line);
      },
      interpose: { authorizationServer: () => asUrl },
      env: { gateway: probe, 'mcp-server': probe, 'stocks-api': probe },
    });
    const model = stack.model;
    const users = Array.from({ length: options.users }, (_, i) => ({
      email: `user${i}@${options.config.domain}`,
      region: i % 2 ? 'Europe' : 'USA',
    }));
    const { config } = configFromEnv(
      authorizationServerEnv(
        model,
        { authorizationServer: asUrl, stocksApi: stack.info.upstreams.stocksApi, smtp: { host: '127.0.0.1', port: 25 } },
        stack.secrets,
        0,
        { databaseUrl: 'memory://' },
      ),
    );
    const { database, recordSignIn } = await databaseWithSignIns();
    server = await createAuthorizationServer(
      { ...config, users },
      {
        database,
        mailer: { sendCode: () => Promise.reject(new Error('nobody signs in by email here')), close: () => {} },
        log: { info: () => {}, error: (line) => options.log('authorization-server', line) },
      },
    );

    const clientId = await registerPublicClient(model, REDIRECT_URI);
    const as = server;
    const tokenFor = async (email: string): Promise<string> => {
      const verifier = randomBytes(32).toString('base64url');
      const code = randomBytes(32).toString('base64url');
      await recordSignIn(code, {
        clientId,
        redirectUri: REDIRECT_URI,
        codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
        scope: model.scope,
        resource: model.mcpResource,
        subject: email,
      });
      const response = await as.app.request(AS_PATHS.token, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT_URI,
          client_id: clientId,
          code_verifier: verifier,
          resource: model.mcpResource,
        }),
      });
      const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
      if (!body.access_token) throw new Error(`No token for ${email}: ${body.error} ${body.error_description ?? ''}`);
      return body.access_token;
    };

    const tokens: string[] = new Array(users.length);
    const started = Date.now();
    let done = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, lane) => {
        for (let i = lane; i < users.length; i += 8) {
          tokens[i] = await tokenFor(users[i]!.email);
          if (++done % 2000 === 0 || done === users.length) options.progress(`${done} of ${users.length} tokens`);
        }
      }),
    );
    options.progress(`${users.length} users' tokens issued in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const running = stack;
    const pids = () => {
      const all = running.pids();
      return { gateway: all.gateway, 'mcp-server': all['mcp-server'], 'stocks-api': all['stocks-api'] };
    };
    return {
      tokens,
      toolCalls(to, from = 0) {
        let next = from;
        return {
          url: model.mcpResource,
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: TOOL_CALL,
          verifyBody: oneRegionOnly,
          requests: [
            {
              setupRequest: (request) => {
                const token = tokens[next]!;
                next = next + 1 === to ? from : next + 1;
                return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
              },
            },
          ],
        };
      },
      pids,
      async liveHeapKiB() {
        const entries = Object.entries(pids()).map(async ([name, pid]) => {
          const reported = new Promise<number>((resolve, reject) => {
            heapReports.set(name, resolve);
            setTimeout(() => reject(new Error(`${name} did not report its heap within 10 s`)), 10_000).unref();
          });
          process.kill(pid!, 'SIGWINCH');
          return [name, Math.round((await reported) / 1024)] as const;
        });
        return Object.fromEntries(await Promise.all(entries));
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A successful answer that lists the stocks of one region only (a caller never sees another's). */
function oneRegionOnly(body: string): boolean {
  try {
    const { result } = JSON.parse(body) as { result?: { isError?: boolean; structuredContent?: { stocks?: { region: string }[] } } };
    const list = result?.structuredContent?.stocks;
    return !result?.isError && Array.isArray(list) && list.length > 0 && list.every((s) => s.region === list[0]!.region);
  } catch {
    return false;
  }
}
