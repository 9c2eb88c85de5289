/** What the routes share: configuration, state and the services built on them. */
import type { AuthorizationServerConfig } from './config.ts';
import type { Clients } from './clients.ts';
import type { SigningKeys } from './keys.ts';
import type { CodeMailer } from './mailer.ts';
import type { AuthorizationServerStore } from './store.ts';
import type { Tokens } from './tokens.ts';

export interface Logger {
  info(message: string): void;
  error(message: string): void;
}

export interface RateLimits {
  /** Registrations per minute and client address. */
  registrationsPerMinute: number;
  /** Sign-in form posts (email and code) per minute and client address. */
  signInPostsPerMinute: number;
  /** Authorization requests per minute and client address: each one holds a sign-in in the bounded store. */
  authorizationsPerMinute: number;
}

export interface ServerContext {
  config: AuthorizationServerConfig;
  store: AuthorizationServerStore;
  clients: Clients;
  tokens: Tokens;
  keys: SigningKeys;
  mailer: CodeMailer;
  log: Logger;
  limits: RateLimits;
  /** Seconds since the epoch. */
  now: () => number;
}
