/**
 * The MCP tools. Everything that does not depend on the caller is built once, when the server
 * starts: the `tools/list` answer with its JSON Schemas, and the zod validators of the arguments.
 * Per request only `call` runs, with that request's caller.
 */
import type { CallToolResult, ListToolsResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Logger } from '@mcp-secured-api/contracts';
import { ApiAuthorizationError, UpstreamError, stockSchema } from './stocks-client.ts';
import type { StocksClient } from './stocks-client.ts';
import { TokenExchangeError } from './token-exchange.ts';
import type { ApiTokenProvider, Subject } from './token-exchange.ts';

/** What one MCP request knows about its caller, and what the tools learnt while serving it. */
export interface CallContext {
  subject: Subject;
  /** Set when the API refused the caller's token: the HTTP response becomes a challenge. */
  apiAuthorizationError?: ApiAuthorizationError;
}

export interface StockToolsOptions {
  stocks: StocksClient;
  apiTokens: ApiTokenProvider;
  /** Told of each failed upstream call (no tokens). */
  log: Logger;
}

export interface StockTools {
  /** The `tools/list` result, the same for every caller. */
  readonly list: ListToolsResult;
  /** Runs tool `name` for one caller; every failure an agent can act on is a result with `isError`. */
  call(name: string, args: Record<string, unknown> | undefined, call: CallContext): Promise<CallToolResult>;
}

const listOutput = z.object({ stocks: z.array(stockSchema) });
const getInput = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9]{1,16}$/, { message: 'must be a stock id such as COM1 (letters and digits)' })
    .describe('The stock id, such as COM1, as listed by fetch-stock-prices'),
});

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(schema, { target: 'draft-7', io }) as Tool['inputSchema'];
const readOnly = { readOnlyHint: true, openWorldHint: false };

export function createStockTools(options: StockToolsOptions): StockTools {
  const { stocks, apiTokens, log } = options;

  const errorResult = (text: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text }] });
  const jsonResult = (value: object, structured: Record<string, unknown>): CallToolResult => ({
    content: [{ type: 'text', text: JSON.stringify(value) }],
    structuredContent: structured,
  });

  async function withApiToken(call: CallContext, tool: string, use: (token: string | undefined) => Promise<CallToolResult>) {
    try {
      return await use(await apiTokens.tokenFor(call.subject));
    } catch (err) {
      if (err instanceof ApiAuthorizationError) {
        call.apiAuthorizationError = err;
        if (err.status === 401) apiTokens.invalidate?.(call.subject);
      } else if (!(err instanceof TokenExchangeError || err instanceof UpstreamError)) {
        throw err;
      }
      log.error('tool call failed', { tool, sub: call.subject.claims.sub, code: (err as { code?: string }).code, reason: err.message });
      return errorResult(err.message);
    }
  }

  const handlers: Record<string, (args: Record<string, unknown> | undefined, call: CallContext) => Promise<CallToolResult>> = {
    'fetch-stock-prices': (_args, call) =>
      withApiToken(call, 'fetch-stock-prices', async (token) => {
        const list = await stocks.listStocks(token);
        return jsonResult(list, { stocks: list });
      }),
    'get-stock-price': async (args, call) => {
      const parsed = getInput.safeParse(args ?? {});
      if (!parsed.success) return errorResult(`Invalid arguments for get-stock-price: ${describeIssues(parsed.error)}`);
      const { id } = parsed.data;
      return withApiToken(call, 'get-stock-price', async (token) => {
        const stock = await stocks.getStock(token, id.toUpperCase());
        if (!stock) {
          return errorResult(`No stock with id ${id} is available in your region; call fetch-stock-prices to see the ids you can use.`);
        }
        return jsonResult(stock, stock);
      });
    },
  };

  const list: ListToolsResult = {
    tools: [
      {
        name: 'fetch-stock-prices',
        title: 'Fetch stock prices',
        description: 'Lists the stocks of your region with their current prices.',
        inputSchema: { type: 'object', properties: {} },
        outputSchema: jsonSchema(listOutput, 'output'),
        annotations: readOnly,
      },
      {
        name: 'get-stock-price',
        title: 'Get a stock price',
        description: 'Gets the current price of one stock of your region by its id (such as COM1).',
        inputSchema: jsonSchema(getInput, 'input'),
        outputSchema: jsonSchema(stockSchema, 'output'),
        annotations: readOnly,
      },
    ],
  };

  return {
    list,
    call(name, args, call) {
      const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
      if (!handler) return Promise.resolve(errorResult(`No tool named ${name}; call tools/list to see the tools.`));
      return handler(args, call);
    },
  };
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'arguments'} ${issue.message}`).join('; ');
}
