/**
 * How the parts find each other on the Docker network: each container's alias and ports, and from
 * them the gateway's upstreams and the services' internal addresses. Pure, so it is tested alone.
 */
import { CONTAINER_PORTS } from '../container-ports.ts';
import type { InternalAddresses } from '../environments.ts';
import type { KongUpstreams } from '../kong/generate.ts';
import { oneTimeCodeMailServer } from '../mail.ts';
import { HOST_NAMES, type HostName, type Model } from '../model.ts';

/** Network aliases: the hostnames containers use for each other. */
export const ALIASES = {
  gateway: 'api-gateway',
  stocksApi: 'stocks-api',
  mcpServer: 'mcp-server',
  authorizationServer: 'authorization-server',
  maildev: 'maildev',
  postgres: 'postgres',
} as const;

/**
 * Whose X-Forwarded-For the authorization server believes: Kong's container, by its name on the
 * stack's network (Docker's DNS answers with the container's address, whatever the network's range).
 */
export const DOCKER_TRUSTED_PROXIES = [ALIASES.gateway];

/** Ports inside the containers. */
export const PORTS = CONTAINER_PORTS;

/** Where the authorization server runs: the built-in one's fixed address, or Curity's outputs. */
export interface AuthorizationServerAddresses {
  runtime: string;
  admin?: string;
}

export const BUILTIN_AUTHORIZATION_SERVER: AuthorizationServerAddresses = {
  runtime: `http://${ALIASES.authorizationServer}:${PORTS.authorizationServer}`,
};

/** `mail`: where maildev serves its inbox, under its secret path (`Maildev.webUrl`); none without an inbox. */
export function dockerUpstreams(as: AuthorizationServerAddresses, mail: string | undefined): KongUpstreams {
  return {
    api: `http://${ALIASES.stocksApi}:${PORTS.stocksApi}`,
    mcp: `http://${ALIASES.mcpServer}:${PORTS.mcpServer}`,
    login: as.runtime,
    ...(mail ? { mail } : {}),
    ...(as.admin ? { admin: as.admin } : {}),
  };
}

/** The mail server one-time codes go to: the inbox's container, or the configured relay (its password aside). */
export function dockerMailServer(model: Model): InternalAddresses['smtp'] {
  return oneTimeCodeMailServer(model, { host: ALIASES.maildev, port: PORTS.maildevSmtp });
}

export function dockerInternalAddresses(model: Model, as: AuthorizationServerAddresses): InternalAddresses {
  return {
    authorizationServer: as.runtime,
    stocksApi: `http://${ALIASES.stocksApi}:${PORTS.stocksApi}`,
    smtp: dockerMailServer(model),
  };
}

/** The public hosts the gateway serves: the admin UI only when Curity runs, the inbox only when it runs. */
export function servedHosts(model: Model): HostName[] {
  return HOST_NAMES.filter(
    (h) => (h !== 'admin' || model.config.authorizationServer === 'curity') && (h !== 'mail' || model.config.mailInbox),
  );
}

/** The line users add to /etc/hosts so the public hosts reach the gateway on this machine. */
export function etcHostsLine(model: Model): string {
  return `127.0.0.1 ${servedHosts(model)
    .map((h) => model.hosts[h])
    .join(' ')}`;
}
