/**
 * MCP requests as a stateless client posts them, for tests that look at status codes and
 * headers rather than through the SDK client; and timing of any piece of work.
 */

export interface ToolAnswer {
  status: number;
  /** The JSON-RPC result (a CallToolResult) or error, when the body was JSON. */
  json?: { result?: { isError?: boolean; content?: { text?: string }[]; structuredContent?: Record<string, unknown> }; error?: unknown };
  wwwAuthenticate: string | null;
  ms: number;
}

/** A JSON-RPC request posted to the MCP endpoint at `url`, with `token` as the bearer (none when undefined). */
export async function mcpRequest(
  url: string,
  token: string | undefined,
  method: string,
  params: Record<string, unknown> = {},
  timeoutMs = 30_000,
): Promise<ToolAnswer> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let json: ToolAnswer['json'];
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, wwwAuthenticate: response.headers.get('www-authenticate'), ms: performance.now() - started };
}

/**
 * Passes `token` through the gateway (which caches its introspection) and the MCP server's token
 * check without starting a token exchange: a GET, which the stateless MCP server refuses with 405
 * once the token is accepted, where any POST would start the exchange.
 */
export async function checkTokenOnly(url: string, token: string): Promise<number> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
  await response.body?.cancel();
  return response.status;
}

export const callTool = (url: string, token: string, name: string, args: Record<string, unknown> = {}) =>
  mcpRequest(url, token, 'tools/call', { name, arguments: args });

/** Runs `work` and gives its value and how long it took. */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}
