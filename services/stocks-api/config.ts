/** The stocks API's configuration from the environment (the names of infra/environments.ts). */
import { z } from 'zod';
import { jwtEnvironment, listenAddress, port, readEnvironment } from '@mcp-secured-api/security';
import type { StocksApiConfig } from './app.ts';

const schema = z.object({
  PORT: port,
  LISTEN_ADDRESS: listenAddress,
  AUDIENCE: z.string().min(1, { message: 'must be the API audience such as https://api.demo.example' }),
  ...jwtEnvironment,
});

export function stocksApiConfigFromEnvironment(env: Record<string, string | undefined>): {
  port: number;
  listenAddress: string | undefined;
  config: StocksApiConfig;
} {
  const e = readEnvironment('stocks-api', schema, env);
  return {
    port: e.PORT,
    listenAddress: e.LISTEN_ADDRESS,
    config: {
      jwt: {
        issuer: e.ISSUER,
        audience: e.AUDIENCE,
        jwks: e.JWKS_URI,
        algorithms: e.JWT_ALGORITHMS,
        typ: e.JWT_TYP,
        requiredScope: e.REQUIRED_SCOPE,
      },
    },
  };
}
