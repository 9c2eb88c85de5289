/**
 * The JavaScript procedures Curity runs for the agent policy, generated from the model.
 *
 * Each procedure is a JavaScript file in `procedures/` plus one `POLICY` object holding the model's
 * values, put in front of it here, so the code never changes with the configuration and can be
 * tested against stand-in contexts. Curity's script engine is ES5-flavoured: the files use `var` and
 * plain functions only (lint checks them as ES5 scripts).
 */
import { readFileSync } from 'node:fs';
import type { Model } from '../model.ts';

/** Where Curity reads procedures from: one folder per kind, token procedures per flow. */
export const PROCEDURES_ROOT = '/opt/idsvr/etc/init';

export interface ProcedureFile {
  /** Procedure id, as referenced from the XML. */
  id: string;
  /** Absolute path inside the container. */
  path: string;
  content: string;
}

export const PROCEDURE_IDS = {
  agentAccessToken: 'agent-access-token',
  agentTokenRefresh: 'agent-token-refresh',
  apiTokenExchange: 'api-token-exchange',
  agentRegistration: 'agent-registration-policy',
} as const;

/** Token-endpoint flows, as Curity names them. */
export const FLOWS = {
  authorizationCode: 'oauth-token-authorization-code',
  refresh: 'oauth-token-refresh',
  tokenExchange: 'oauth-token-oauth-token-exchange',
} as const;

/** The values the procedures enforce, all derived from the model. */
export interface ProcedurePolicy {
  mcpResource: string;
  apiAudience: string;
  scope: string;
  accessTokenTtlSeconds: number;
  /** 0: no refresh tokens; otherwise one is issued when `offline_access` was granted. */
  refreshTokenTtlSeconds: number;
  clientType: string;
  clientAssuranceLevel: number;
  mcpClientId: string;
  /** Lower-cased email → region: the only subjects who get tokens. */
  regions: Record<string, string>;
}

export function procedurePolicy(model: Model): ProcedurePolicy {
  return {
    mcpResource: model.mcpResource,
    apiAudience: model.apiAudience,
    scope: model.scope,
    accessTokenTtlSeconds: model.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: model.agentPolicy.refreshTokenTtlSeconds,
    clientType: model.agentPolicy.clientType,
    clientAssuranceLevel: model.agentPolicy.clientAssuranceLevel,
    mcpClientId: model.clients.mcpServer.id,
    regions: Object.fromEntries(model.users.map((u) => [u.email.toLowerCase(), u.region])),
  };
}

/** Each procedure's file beside this module (real JavaScript: linted, and run by the tests in node:vm). */
const SOURCES = {
  [PROCEDURE_IDS.agentAccessToken]: 'agent-access-token.js',
  [PROCEDURE_IDS.agentTokenRefresh]: 'agent-token-refresh.js',
  [PROCEDURE_IDS.apiTokenExchange]: 'api-token-exchange.js',
  [PROCEDURE_IDS.agentRegistration]: 'agent-registration-policy.js',
} as const;

/** Procedures that issue agents' access tokens share the rules of `agent-claims.js`. */
const USES_AGENT_CLAIMS: ReadonlySet<string> = new Set([PROCEDURE_IDS.agentAccessToken, PROCEDURE_IDS.agentTokenRefresh]);

function read(file: string): string {
  return readFileSync(new URL(`./procedures/${file}`, import.meta.url), 'utf8');
}

function source(policy: ProcedurePolicy, id: keyof typeof SOURCES): string {
  const shared = USES_AGENT_CLAIMS.has(id) ? `${read('agent-claims.js')}\n` : '';
  return `// Generated from the deployment model; edit the model, not this file.\nvar POLICY = ${JSON.stringify(policy, null, 2)};\n${shared}${read(SOURCES[id])}`;
}

/** The procedures with their ids and the paths Curity loads them from. */
export function generateProcedures(model: Model): ProcedureFile[] {
  const policy = procedurePolicy(model);
  return [
    {
      id: PROCEDURE_IDS.agentAccessToken,
      path: `${PROCEDURES_ROOT}/token-procedures/${FLOWS.authorizationCode}/${PROCEDURE_IDS.agentAccessToken}.js`,
      content: source(policy, PROCEDURE_IDS.agentAccessToken),
    },
    {
      id: PROCEDURE_IDS.agentTokenRefresh,
      path: `${PROCEDURES_ROOT}/token-procedures/${FLOWS.refresh}/${PROCEDURE_IDS.agentTokenRefresh}.js`,
      content: source(policy, PROCEDURE_IDS.agentTokenRefresh),
    },
    {
      id: PROCEDURE_IDS.apiTokenExchange,
      path: `${PROCEDURES_ROOT}/token-procedures/${FLOWS.tokenExchange}/${PROCEDURE_IDS.apiTokenExchange}.js`,
      content: source(policy, PROCEDURE_IDS.apiTokenExchange),
    },
    {
      id: PROCEDURE_IDS.agentRegistration,
      path: `${PROCEDURES_ROOT}/pre-processing-procedures/${PROCEDURE_IDS.agentRegistration}.js`,
      content: source(policy, PROCEDURE_IDS.agentRegistration),
    },
  ];
}
