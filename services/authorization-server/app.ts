/**
 * The built-in authorization server: Curity's endpoints and behaviour for deployments without a
 * Curity licence, the local stack and the tests. Its state lives in PostgreSQL (database.ts), so
 * it survives restarts and several instances on one database act as one server.
 */
import { Hono, type Context } from 'hono';
import { AS_PATHS, createLogger } from '@mcp-secured-api/contracts';
import { secureHeaders } from 'hono/secure-headers';
import { bodyLimit } from 'hono/body-limit';
import { assetRoutes } from './assets.ts';
import { authorizeRoutes } from './authorize.ts';
import { createClientMetadataDocuments, type ClientMetadataDocuments } from './client-metadata-document.ts';
import { Clients } from './clients.ts';
import { parseAuthorizationServerConfig, type AuthorizationServerConfig, type AuthorizationServerConfigInput } from './config.ts';
import type { Logger, RateLimits, ServerContext } from './context.ts';
import { OAuthError, PageError } from './errors.ts';
import { introspectionRoutes } from './introspection.ts';
import { SigningKeys } from './keys.ts';
import { MailQueue, type MailQueueOptions } from './mail-queue.ts';
import { createSmtpMailer, type CodeMailer } from './mailer.ts';
import { metadataRoutes } from './metadata.ts';
import { errorPage } from './pages.ts';
import { registrationRoutes } from './registration.ts';
import { noStore, PAGE_POLICY } from './response-policy.ts';
import { revocationRoutes } from './revocation.ts';
import { signInRoutes } from './sign-in.ts';
import { DatabaseUnavailableError, openDatabase, type Database } from './database.ts';
import { KeyEncryption } from './key-encryption.ts';
import { migrate } from './migrate.ts';
import { createStore, type Store } from './store.ts';
import { tokenRoutes } from './token-endpoint.ts';
import { Tokens } from './tokens.ts';

export interface AuthorizationServerDeps {
  /** Where the state lives; the server closes it. Default: an embedded database in memory (nothing is kept). */
  database?: Database;
  mailer?: CodeMailer;
  /** How the mail queue holds, sends and retries code mails. */
  mailQueue?: MailQueueOptions;
  clientMetadataDocuments?: ClientMetadataDocuments;
  /** Seconds since the epoch; tests move it to expire codes and tokens. */
  now?: () => number;
  log?: Logger;
  limits?: Partial<RateLimits>;
  /** How often expired rows are removed; 0 turns the timer off (tests call `sweep`). */
  sweepIntervalMs?: number;
}

export interface AuthorizationServer {
  app: Hono;
  store: Store;
  /** Code mails on their way out; `idle()` resolves once it is empty. */
  mailQueue: MailQueue;
  /** Where the state lives, for messages. */
  readonly databaseLocation: string;
  /**
   * Signs new tokens with a new key; the previous key stays published until its tokens expire.
   * False when another instance replaced the key first: this one then signs with that key.
   */
  rotateSigningKey(): Promise<boolean>;
  /** The `kid` of the key that signs new tokens. */
  readonly currentKeyId: string;
  /** Removes expired rows, at most SWEEP_BATCH per table; the timer calls it. */
  sweep(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** Rows removed per table and pass: a backlog is worked off over several passes, never in one long one. */
export const SWEEP_BATCH = 1_000;
const SWEEP_INTERVAL_MS = 60_000;

const DEFAULT_LIMITS: RateLimits = {
  registrationsPerMinute: 60,
  signInPostsPerMinute: 120,
  authorizationsPerMinute: 120,
  codesPerUserPerHour: 20,
  codesPerUserAndAddressPerHour: 5,
};

export async function createAuthorizationServer(
  input: AuthorizationServerConfigInput,
  deps: AuthorizationServerDeps = {},
): Promise<AuthorizationServer> {
  const config = parseAuthorizationServerConfig(input);
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const log = deps.log ?? createLogger();
  const database = deps.database ?? (await openDatabase('memory://'));
  let keys: SigningKeys;
  try {
    await migrate(database);
    keys = await SigningKeys.open({
      store: createStore(database),
      encryption: new KeyEncryption(config.keyEncryptionKey),
      algorithm: config.signingAlgorithm,
      maxTokenLifetimeSeconds: config.accessTokenTtlSeconds,
      now,
      log,
    });
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
  const store = createStore(database);
  const mailQueue = new MailQueue(deps.mailer ?? createSmtpMailer(config.smtp, config.organizationName), log, deps.mailQueue);
  const documents =
    deps.clientMetadataDocuments ??
    createClientMetadataDocuments({
      ...config.clientMetadata,
      knownScopes: [config.scope],
      refreshTokens: config.refreshTokenTtlSeconds > 0,
    });
  const ctx: ServerContext = {
    config,
    store,
    keys,
    mailQueue,
    log,
    now,
    limits: { ...DEFAULT_LIMITS, ...deps.limits },
    countRequests: (bucket) => (address, windowSeconds) => store.rateLimits.hit(bucket, address, now(), windowSeconds),
    clients: new Clients(config, store, documents, now),
    tokens: new Tokens(config, keys, store, now),
  };

  const app = new Hono();
  app.use(
    secureHeaders({
      contentSecurityPolicy: PAGE_POLICY,
      xFrameOptions: 'DENY',
      referrerPolicy: 'no-referrer',
      crossOriginResourcePolicy: false,
      // The consent page sets its own policy (its form's answer redirects to the client).
      overwrite: false,
    }),
  );
  // Sign-in pages, codes, consents, tokens and client credentials are never cached (the versioned
  // stylesheet says otherwise itself). Introspection sets its own: the gateway may cache an answer.
  for (const path of [`${AS_PATHS.authn}*`, AS_PATHS.authorize, AS_PATHS.token, AS_PATHS.registration, AS_PATHS.revoke]) {
    app.use(path, noStore());
  }
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
    if (error instanceof DatabaseUnavailableError) {
      log.error(`${c.req.method} ${c.req.path}: ${error.message}`);
      return unavailable(c, config);
    }
    if (error instanceof PageError) {
      const { title = 'Cannot continue', detail, back, headers } = error.options;
      return c.html(errorPage(config, { title, message: error.message, code: error.error, detail, back }), error.status, headers);
    }
    log.error(`Unexpected error on ${c.req.method} ${c.req.path}: ${error instanceof Error ? error.message : String(error)}`);
    return c.json({ error: 'server_error', error_description: 'The authorization server failed; try again later' }, 500, {
      'Cache-Control': 'no-store',
    });
  });

  const sweep = () => store.sweep(now(), SWEEP_BATCH);
  const interval = deps.sweepIntervalMs ?? SWEEP_INTERVAL_MS;
  const sweeper =
    interval > 0
      ? setInterval(() => {
          sweep().then(
            (removed) => {
              const total = Object.values(removed).reduce((a, b) => a + b, 0);
              if (total > 0) log.info(`Removed ${total} expired rows`);
            },
            (error: Error) => log.error(`Could not remove expired rows: ${error.message}`),
          );
        }, interval).unref()
      : undefined;

  return {
    app,
    store,
    mailQueue,
    databaseLocation: database.location,
    rotateSigningKey: () => keys.rotate(),
    get currentKeyId() {
      return keys.currentKid;
    },
    sweep,
    async close() {
      clearInterval(sweeper);
      keys.close();
      mailQueue.close();
      await database.close();
    },
  };
}

/** The database is out of reach: a clear, retryable error, as a page where people are. */
function unavailable(c: Context, config: AuthorizationServerConfig): Response | Promise<Response> {
  const message = 'The authorization server cannot reach its database at the moment; try again shortly.';
  const headers = { 'Retry-After': '5', 'Cache-Control': 'no-store' };
  if (c.req.path.startsWith(AS_PATHS.authn) || c.req.path === AS_PATHS.authorize) {
    return c.html(errorPage(config, { title: 'Temporarily unavailable', message, code: 'temporarily_unavailable' }), 503, headers);
  }
  return c.json({ error: 'temporarily_unavailable', error_description: message }, 503, headers);
}
