/**
 * Stateless Streamable HTTP: every POST gets a new MCP server and a new transport bound to that
 * request's caller, so nothing of one caller can reach another (CVE-2026-25536). What does not
 * depend on the caller is made once: the tools' list and validators, the JSON Schema validator,
 * the server's options. Per request the body is read once, capped, straight from the request and
 * handed to the transport parsed (no web stream in between); answers are JSON, not SSE.
 *
 * The SDK's low-level `Server` serves the two tool methods: `McpServer` would register each tool
 * again per request and convert their zod schemas to JSON Schema on every `tools/list`.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import type { CallContext, StockTools } from './tools.ts';

export interface StatelessMcpOptions {
  serverInfo: { name: string; version: string };
  tools: StockTools;
  /** Largest accepted request body in bytes. */
  maxBodyBytes: number;
}

/** Answers one MCP POST for one caller. */
export type StatelessMcpHandler = (request: Request, call: CallContext) => Promise<Response>;

export function statelessMcpHandler(options: StatelessMcpOptions): StatelessMcpHandler {
  const { serverInfo, tools, maxBodyBytes } = options;
  // The SDK would otherwise build a JSON Schema validator (Ajv) per server; it holds no caller data.
  const serverOptions = { capabilities: { tools: {} }, jsonSchemaValidator: new AjvJsonSchemaValidator() };

  return async function handleMcpPost(request, call) {
    const body = await readJsonBody(request, maxBodyBytes);
    if (body instanceof Response) return body;
    const server = new Server(serverInfo, serverOptions);
    server.setRequestHandler(ListToolsRequestSchema, () => tools.list);
    server.setRequestHandler(CallToolRequestSchema, (req) => tools.call(req.params.name, req.params.arguments, call));
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    // Not closed afterwards: in JSON mode the transport keeps nothing once it has answered, and
    // closing would only abort handlers that have finished and build an error nobody reads.
    return transport.handleRequest(request, { parsedBody: body.json });
  };
}

/**
 * The parsed JSON body, or the error response when it is too large or not JSON. A body that is
 * not declared as JSON is left unread for the transport, which refuses it (415).
 */
async function readJsonBody(request: Request, maxBytes: number): Promise<{ json: unknown } | Response> {
  if (request.method !== 'POST' || !isJsonContentType(request.headers.get('content-type'))) return { json: undefined };
  const declared = request.headers.get('content-length');
  let text: string | undefined;
  if (declared !== null) {
    // Node's HTTP parser delivers exactly the declared length, so the declaration is the cap.
    if (Number(declared) > maxBytes) return tooLarge(maxBytes);
    text = await request.text();
  } else {
    text = await readCapped(request, maxBytes);
    if (text === undefined) return tooLarge(maxBytes);
  }
  try {
    return { json: JSON.parse(text) };
  } catch {
    return jsonRpcErrorResponse(400, -32700, 'Parse error: the request body is not valid JSON.');
  }
}

/** A body without a declared length (chunked): read until the cap; undefined beyond it. */
async function readCapped(request: Request, maxBytes: number): Promise<string | undefined> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    size += chunk.value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    text += decoder.decode(chunk.value, { stream: true });
  }
  return text + decoder.decode();
}

const tooLarge = (maxBytes: number) => jsonRpcErrorResponse(413, -32600, `Request body larger than ${maxBytes} bytes.`);

const jsonRpcErrorResponse = (status: number, code: number, message: string) => Response.json(jsonRpcError(code, message), { status });

/** A JSON-RPC error that answers no particular request. */
export function jsonRpcError(code: number, message: string) {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}
