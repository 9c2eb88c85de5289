/**
 * Reading a service's configuration from the environment with zod, failing with one message that
 * names every missing or bad variable. Also the variables both resource servers share for JWT
 * validation (see infra/environments.ts).
 */
import { z } from 'zod';

export class ResourceServerEnvironmentError extends Error {
  override name = 'ResourceServerEnvironmentError';
  readonly code = 'ERR_ENVIRONMENT_INVALID';
  constructor(
    service: string,
    readonly problems: { variable: string; message: string }[],
  ) {
    super(`${service}: invalid environment:\n${problems.map((p) => `  - ${p.variable} ${p.message}`).join('\n')}`);
  }
}

export function readEnvironment<S extends z.ZodObject>(service: string, schema: S, env: Record<string, string | undefined>): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  // The first problem of each variable is the one to fix first.
  const problems = new Map<string, string>();
  for (const issue of result.error.issues) {
    const variable = String(issue.path[0] ?? '(environment)');
    if (!problems.has(variable)) problems.set(variable, env[variable] === undefined ? 'is required' : issue.message);
  }
  throw new ResourceServerEnvironmentError(
    service,
    [...problems].map(([variable, message]) => ({ variable, message })),
  );
}

export const httpUrl = (example: string) => z.url({ protocol: /^https?$/, message: `must be an http(s) URL such as ${example}` });

export const origin = (example: string) =>
  httpUrl(example).refine((v) => URL.canParse(v) && new URL(v).origin === v, {
    message: `must be an origin (no path or trailing slash) such as ${example}`,
  });

export const port = z.coerce
  .number({ message: 'must be a port number' })
  .int({ message: 'must be a whole number' })
  .min(0, { message: 'must be between 0 and 65535' })
  .max(65_535, { message: 'must be between 0 and 65535' });

/** LISTEN_ADDRESS: an address of this machine to listen on; absent, every interface. */
export const listenAddress = z
  .union([z.ipv4(), z.ipv6()], { message: 'must be an IP address of this machine, such as 127.0.0.1' })
  .optional();

const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/** The JWT validation settings both resource servers read. */
export const jwtEnvironment = {
  ISSUER: httpUrl('https://login.demo.example/oauth/v2/oauth-anonymous'),
  JWKS_URI: httpUrl('http://login-server:8443/oauth/v2/oauth-anonymous/jwks'),
  REQUIRED_SCOPE: z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, { message: 'must be one OAuth scope such as stocks/read' }),
  JWT_ALGORITHMS: list.refine((algs) => algs.length > 0 && algs.every((a) => /^(PS|RS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/.test(a)), {
    message: 'must be a comma-separated list of asymmetric JWS algorithms such as PS256',
  }),
  // Empty: the issuer's access tokens carry no `typ`, so none is required.
  JWT_TYP: z
    .string({ message: 'must name the access-token type such as at+jwt, or be empty when the issuer sets none' })
    .trim()
    .transform((typ) => (typ === '' ? null : typ)),
};

/** A comma-separated list of origins (may be empty). */
export const originList = list.pipe(z.array(origin('http://localhost:6274'), { message: 'must be a comma-separated list of origins' }));
