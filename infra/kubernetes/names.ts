/**
 * How the parts find each other in the namespace: each part's name (its Service's DNS name and its
 * pods' `app.kubernetes.io/name`), its ports, its labels, and from them the gateway's upstreams and
 * the services' internal addresses. Pure, so it is tested alone.
 */
import { CONTAINER_PORTS } from '../container-ports.ts';
import type { InternalAddresses } from '../environments.ts';
import { oneTimeCodeMailServer } from '../mail.ts';
import type { KongUpstreams } from '../kong/generate.ts';
import { PROJECT, type Model } from '../model.ts';

/** Every kind of pod the stack runs; a Service of the same name fronts the ones that serve. */
export const PARTS = {
  gateway: 'gateway',
  mcpServer: 'mcp-server',
  stocksApi: 'stocks-api',
  authorizationServer: 'authorization-server',
  curity: 'curity',
  curityInit: 'curity-init',
  postgres: 'postgres',
  postgresInit: 'postgres-init',
  maildev: 'maildev',
} as const;
export type PartName = (typeof PARTS)[keyof typeof PARTS];

/** `app.kubernetes.io/component` of each part. */
const COMPONENT: Record<PartName, string> = {
  gateway: 'gateway',
  'mcp-server': 'mcp-server',
  'stocks-api': 'api',
  'authorization-server': 'authorization-server',
  curity: 'authorization-server',
  'curity-init': 'database-init',
  postgres: 'database',
  'postgres-init': 'database-init',
  maildev: 'mail',
};

/** Ports inside the pods; each Service exposes the same numbers. */
export const PORTS = CONTAINER_PORTS;

/** The labels that select a part's pods (stable for the life of the Deployment). */
export function selectorLabels(part: PartName): Record<string, string> {
  return { 'app.kubernetes.io/name': part, 'app.kubernetes.io/part-of': PROJECT };
}

/** Every label a part's objects carry, following the `app.kubernetes.io/*` recommendations. */
export function partLabels(part: PartName, version: string): Record<string, string> {
  return {
    ...selectorLabels(part),
    'app.kubernetes.io/component': COMPONENT[part],
    // Label values allow at most 63 characters of [A-Za-z0-9_.-].
    'app.kubernetes.io/version': version
      .replace(/[^A-Za-z0-9_.-]/g, '_')
      .slice(-63)
      .replace(/^[^A-Za-z0-9]+/, ''),
    'app.kubernetes.io/managed-by': 'pulumi',
  };
}

/** Where the authorization server answers inside the namespace: the built-in one or Curity. */
export function authorizationServerUrls(model: Model): { runtime: string; admin?: string } {
  return model.config.authorizationServer === 'curity'
    ? { runtime: `http://${PARTS.curity}:${PORTS.curityRuntime}`, admin: `http://${PARTS.curity}:${PORTS.curityAdmin}` }
    : { runtime: `http://${PARTS.authorizationServer}:${PORTS.authorizationServer}` };
}

export function kubernetesUpstreams(model: Model): KongUpstreams {
  const as = authorizationServerUrls(model);
  return {
    api: `http://${PARTS.stocksApi}:${PORTS.stocksApi}`,
    mcp: `http://${PARTS.mcpServer}:${PORTS.mcpServer}`,
    login: as.runtime,
    ...(model.config.mailInbox ? { mail: `http://${PARTS.maildev}:${PORTS.maildevWeb}` } : {}),
    ...(as.admin ? { admin: as.admin } : {}),
  };
}

/** The mail server one-time codes go to: the inbox in the namespace, or the configured relay (its password aside). */
export function smtpServer(model: Model): InternalAddresses['smtp'] {
  return oneTimeCodeMailServer(model, { host: PARTS.maildev, port: PORTS.maildevSmtp });
}

export function kubernetesInternalAddresses(model: Model): InternalAddresses {
  return {
    authorizationServer: authorizationServerUrls(model).runtime,
    stocksApi: `http://${PARTS.stocksApi}:${PORTS.stocksApi}`,
    smtp: smtpServer(model),
  };
}

/**
 * A headless Service listing the gateway's pods: its name resolves to their addresses, the only
 * ones whose X-Forwarded-For the authorization server believes (with `kubernetes.trustedProxies`).
 */
export const GATEWAY_PODS = `${PARTS.gateway}-pods`;

export function kubernetesTrustedProxies(model: Model): string[] {
  return [GATEWAY_PODS, ...model.config.kubernetes.trustedProxies];
}
