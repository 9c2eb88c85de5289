/** Where one-time codes are mailed, the same rule for every target. */
import type { InternalAddresses } from './environments.ts';
import type { Model } from './model.ts';

/**
 * The test inbox at `inbox` (the target's own address for it) when `mailInbox` is on, else the
 * configured relay; the relay's password is added by the target, which holds it as a secret.
 */
export function oneTimeCodeMailServer(model: Model, inbox: { host: string; port: number }): InternalAddresses['smtp'] {
  const relay = model.config.smtp;
  // The model refuses mailInbox false without a relay; the inbox is the fallback for types only.
  if (model.config.mailInbox || !relay) return inbox;
  return {
    host: relay.host,
    port: relay.port,
    security: relay.security,
    ...(relay.user ? { user: relay.user } : {}),
    ...(relay.from ? { from: relay.from } : {}),
  };
}

/** The relay's password for the authorization server, when codes go to the relay rather than the inbox. */
export function relayPassword<T>(model: Model, password: T | undefined): { smtpPassword?: T } {
  return password !== undefined && !model.config.mailInbox ? { smtpPassword: password } : {};
}
