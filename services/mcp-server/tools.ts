/**
 * The MCP tools. Their definitions (schemas, descriptions) are built once; per request they are
 * registered on that request's fresh McpServer, bound to the request's caller.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { ApiAuthorizationError, UpstreamError, stockSchema } from './stocks-client.ts';
import type { Stock, StocksClient } from './stocks-client.ts';
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
  /** Receives one line per failed upstream call (no tokens). */
  log: (line: string) => void;
}

const listOutput = z.object({ stocks: z.array(stockSchema) });
const getInput = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9]{1,16}$/, { message: 'must be a stock id such as COM1 (letters and digits)' })
    .describe('The stock id, such as COM1, as listed by fetch-stock-prices'),
});

/** Returns a function that registers the tools on a per-request server for one caller. */
export function createStockTools(options: StockToolsOptions): (server: McpServer, call: CallContext) => void {
  const { stocks, apiTokens, log } = options;

  async function withApiToken(
    call: CallContext,
    tool: string,
    use: (token: string | undefined) => Promise<CallToolResult>,
  ): Promise<CallToolResult> {
    try {
      return await use(await apiTokens.tokenFor(call.subject));
    } catch (err) {
      if (err instanceof ApiAuthorizationError) {
        call.apiAuthorizationError = err;
        if (err.status === 401) apiTokens.invalidate?.(call.subject);
      } else if (!(err instanceof TokenExchangeError || err instanceof UpstreamError)) {
        throw err;
      }
      log(JSON.stringify({ tool, sub: call.subject.claims.sub, error: (err as { code?: string }).code, message: err.message }));
      return { isError: true, content: [{ type: 'text', text: err.message }] };
    }
  }

  return function registerStockTools(server, call) {
    server.registerTool(
      'fetch-stock-prices',
      {
        title: 'Fetch stock prices',
        description: 'Lists the stocks of your region with their current prices.',
        outputSchema: listOutput,
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      () =>
        withApiToken(call, 'fetch-stock-prices', async (token) => {
          const list: Stock[] = await stocks.listStocks(token);
          return { content: [{ type: 'text', text: JSON.stringify(list) }], structuredContent: { stocks: list } };
        }),
    );
    server.registerTool(
      'get-stock-price',
      {
        title: 'Get a stock price',
        description: 'Gets the current price of one stock of your region by its id (such as COM1).',
        inputSchema: getInput,
        outputSchema: stockSchema,
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      ({ id }) =>
        withApiToken(call, 'get-stock-price', async (token) => {
          const stock = await stocks.getStock(token, id.toUpperCase());
          if (!stock) {
            return {
              isError: true,
              content: [
                {
                  type: 'text',
                  text: `No stock with id ${id} is available in your region; call fetch-stock-prices to see the ids you can use.`,
                },
              ],
            };
          }
          return { content: [{ type: 'text', text: JSON.stringify(stock) }], structuredContent: stock };
        }),
    );
  };
}
