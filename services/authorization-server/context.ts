/** What the routes share: configuration, state and the services built on them. */
import type { AuthorizationServerConfig } from './config.ts';
import type { Clients } from './clients.ts';
import type { SigningKeys } from './keys.ts';
import type { MailQueue } from './mail-queue.ts';
import type { RequestCounter } from './rate-limit.ts';
import type { Store } from './store.ts';
import type { Tokens } from './tokens.ts';

import type { Logger } from '@mcp-secured-api/contracts';

export type { Logger };

export interface RateLimits {
  /** Registrations per minute and client address. */
  registrationsPerMinute: number;
  /** Sign-in form posts (email and code) per minute and client address. */
  signInPostsPerMinute: number;
  /** Authorization requests per minute and client address: each one holds a sign-in in the bounded store. */
  authorizationsPerMinute: number;
  /** Code mails per user and hour, whoever asks (protects the mailbox, bounds guessing). */
  codesPerUserPerHour: number;
  /** Code mails per user, hour and client address: one address cannot use up the user's allowance. */
  codesPerUserAndAddressPerHour: number;
}

export interface ServerContext {
  config: AuthorizationServerConfig;
  store: Store;
  clients: Clients;
  tokens: Tokens;
  keys: SigningKeys;
  /** Sends code mails after the answer. */
  mailQueue: MailQueue;
  log: Logger;
  limits: RateLimits;
  /** Counts requests per client address for the rate limit named `bucket`, shared by every instance. */
  countRequests(bucket: string): RequestCounter;
  /** Seconds since the epoch. */
  now: () => number;
}
