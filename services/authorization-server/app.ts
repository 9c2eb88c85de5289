/**
 * The built-in authorization server: Curity's endpoints and behaviour for deployments without a
 * Curity licence, the local stack and the tests.
 */
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { bodyLimit } from 'hono/body-limit';
import { assetRoutes } from './assets.ts';
import { authorizeRoutes } from './authorize.ts';
import { createClientMetadataDocuments, type ClientMetadataDocuments } from './client-metadata-document.ts';
import { Clients } from './clients.ts';
import { parseAuthorizationServerConfig, type AuthorizationServerConfigInput } from './config.ts';
import type { Logger, RateLimits, ServerContext } from './context.ts';
import { OAuthError, PageError } from './errors.ts';
import { introspectionRoutes } from './introspection.ts';
import { SigningKeys } from './keys.ts';
import { createSmtpMailer, type CodeMailer } from './mailer.ts';
import { metadataRoutes } from './metadata.ts';
import { errorPage } from './pages.ts';
import { registrationRoutes } from './registration.ts';
import { revocationRoutes } from './revocation.ts';
import { signInRoutes } from './sign-in.ts';
import { createMemoryStore, type AuthorizationServerStore } from './store.ts';
import { tokenRoutes } from './token-endpoint.ts';
import { Tokens } from './tokens.ts';

export interface AuthorizationServerDeps {
  store?: AuthorizationServerStore;
  mailer?: CodeMailer;
  clientMetadataDocuments?: ClientMetadataDocuments;
  /** Seconds since the epoch; tests move it to expire codes and tokens. */
  now?: () => number;
  log?: Logger;
  limits?: Partial<RateLimits>;
}

export interface AuthorizationServer {
  app: Hono;
  /** Signs new tokens with a new key; the previous key stays published until its tokens expire. */
  rotateSigningKey(): Promise<void>;
  /** The `kid` of the key that signs new tokens. */
  readonly currentKeyId: string;
  close(): Promise<void>;
}

const DEFAULT_LIMITS: RateLimits = { registrationsPerMinute: 60, signInPostsPerMinute: 120, authorizationsPerMinute: 120 };

const consoleLog: Logger = {
  info: (m) => console.log(`[authorization-server] ${m}`),
  error: (m) => console.error(`[authorization-server] ${m}`),
};

export function createAuthorizationServer(input: AuthorizationServerConfigInput, deps: AuthorizationServerDeps = {}): AuthorizationServer {
  const config = parseAuthorizationServerConfig(input);
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const log = deps.log ?? consoleLog;
  const store = deps.store ?? createMemoryStore();
  const mailer = deps.mailer ?? createSmtpMailer(config.smtp, config.organizationName);
  const keys = new SigningKeys(config.accessTokenTtlSeconds, now);
  const documents =
    deps.clientMetadataDocuments ?? createClientMetadataDocuments({ ...config.clientMetadata, knownScopes: [config.scope] });
  const ctx: ServerContext = {
    config,
    store,
    keys,
    mailer,
    log,
    now,
    limits: { ...DEFAULT_LIMITS, ...deps.limits },
    clients: new Clients(config, store, documents, now),
    tokens: new Tokens(config, keys, store, now),
  };

  const app = new Hono();
  app.use(
    secureHeaders({
      contentSecurityPolicy: { defaultSrc: ["'none'"], styleSrc: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
      xFrameOptions: 'DENY',
      referrerPolicy: 'no-referrer',
      crossOriginResourcePolicy: false,
    }),
  );
  app.use(
    '*',
    bodyLimit({ maxSize: 64 * 1024, onError: () => new OAuthError('invalid_request', 'The request body is too large').toResponse() }),
  );
  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.route('/', assetRoutes());
  app.route('/', metadataRoutes(config, keys));
  app.route('/', authorizeRoutes(ctx));
  app.route('/', signInRoutes(ctx));
  app.route('/', registrationRoutes(ctx));
  app.route('/', tokenRoutes(ctx));
  app.route('/', introspectionRoutes(ctx));
  app.route('/', revocationRoutes(ctx));

  app.onError((error, c) => {
    if (error instanceof OAuthError) return error.toResponse();
    if (error instanceof PageError) {
      const { title = 'Cannot continue', detail, back, headers } = error.options;
      return c.html(errorPage(config, { title, message: error.message, code: error.code, detail, back }), error.status, headers);
    }
    log.error(`Unexpected error on ${c.req.method} ${c.req.path}: ${error instanceof Error ? error.message : String(error)}`);
    return c.json({ error: 'server_error', error_description: 'The authorization server failed; try again later' }, 500, {
      'Cache-Control': 'no-store',
    });
  });

  return {
    app,
    rotateSigningKey: () => keys.rotate(),
    get currentKeyId() {
      return keys.currentKid;
    },
    async close() {
      mailer.close();
    },
  };
}
