/**
 * The JavaScript procedures Curity runs for the agent policy, generated from the model.
 *
 * Each procedure is static code plus one `POLICY` object holding the model's values, so the code
 * itself never changes with the configuration and can be tested against stand-in contexts.
 * Curity's script engine is ES5-flavoured: the bodies use `var` and plain functions only.
 */
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
  apiTokenExchange: 'api-token-exchange',
  agentRegistration: 'agent-registration-policy',
} as const;

/** Token-endpoint flows, as Curity names them. */
export const FLOWS = {
  authorizationCode: 'oauth-token-authorization-code',
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

// Authorization code flow (agents): audience only the MCP resource, PKCE, lifetime capped,
// AI-context claims added, a refresh token only when offline_access was granted.
const AGENT_ACCESS_TOKEN = `
function audienceFor(resource) {
  if (!resource) {
    return POLICY.mcpResource;
  }
  var withoutSlash = POLICY.mcpResource.replace(/\\/$/, '');
  if (resource === POLICY.mcpResource || resource === withoutSlash) {
    return POLICY.mcpResource;
  }
  throw exceptionFactory.badRequestException('invalid_target',
    'The resource parameter must name the MCP server (' + POLICY.mcpResource + ')');
}

function result(context) {
  var request = context.getRequest();
  if (!request.getFormParameter('code_verifier')) {
    throw exceptionFactory.badRequestException('invalid_grant', 'PKCE is required: send code_verifier');
  }
  var audience = audienceFor(request.getFormParameter('resource'));

  var delegationData = context.getDefaultDelegationData();
  var delegation = context.delegationIssuer.issue(delegationData);

  var data = context.getDefaultAccessTokenData();
  var subject = String(data.sub || '').toLowerCase();
  if (!Object.prototype.hasOwnProperty.call(POLICY.regions, subject)) {
    throw exceptionFactory.badRequestException('invalid_grant', 'This user may not use agents');
  }
  data.aud = [audience];
  var issuedAt = data.iat || Math.floor(Date.now() / 1000);
  var latest = issuedAt + POLICY.accessTokenTtlSeconds;
  if (!data.exp || data.exp > latest) {
    data.exp = latest;
  }
  data.region = POLICY.regions[subject];
  data.client_type = POLICY.clientType;
  data.client_assurance_level = POLICY.clientAssuranceLevel;
  // offline_access asks for a refresh token; it gives no access to the API.
  var granted = String(data.scope || '').split(' ');
  var offline = POLICY.refreshTokenTtlSeconds > 0 && granted.indexOf('offline_access') !== -1;
  data.scope = granted.filter(function (s) { return s.length > 0 && s !== 'offline_access'; }).join(' ');

  var accessToken = context.accessTokenIssuer.issue(data, delegation);
  var response = {
    access_token: accessToken,
    token_type: 'bearer',
    scope: data.scope,
    expires_in: secondsUntil(data.exp)
  };
  if (offline) {
    response.refresh_token = context.refreshTokenIssuer.issue(context.getDefaultRefreshTokenData(), delegation);
  }
  return response;
}
`;

// Token exchange (the MCP server): MCP-audience token in, API-audience token out, never wider
// in scope or longer in life, with an act claim naming the MCP server.
const API_TOKEN_EXCHANGE = `
var ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

function refuse(error, description) {
  return exceptionFactory.badRequestException(error, description);
}

function audiences(aud) {
  if (!aud) {
    return [];
  }
  return typeof aud === 'string' ? [aud] : Array.prototype.slice.call(aud);
}

function scopes(value) {
  return String(value || '').split(' ').filter(function (s) { return s.length > 0; });
}

function result(context) {
  var request = context.getRequest();
  if (context.client.id !== POLICY.mcpClientId) {
    throw refuse('unauthorized_client', 'Only the MCP server may exchange tokens');
  }
  if (request.getFormParameter('subject_token_type') !== ACCESS_TOKEN_TYPE) {
    throw refuse('invalid_request', 'subject_token_type must be ' + ACCESS_TOKEN_TYPE);
  }
  var target = request.getFormParameter('audience') || request.getFormParameter('resource') || POLICY.apiAudience;
  if (target !== POLICY.apiAudience) {
    throw refuse('invalid_target', 'Tokens can only be exchanged for the API (' + POLICY.apiAudience + ')');
  }

  var data = context.getPresentedSubjectToken();
  if (!data) {
    throw refuse('invalid_request', 'The subject token is not active');
  }
  if (audiences(data.aud).indexOf(POLICY.mcpResource) === -1) {
    throw refuse('invalid_request', 'Only tokens issued for the MCP server can be exchanged');
  }
  var now = Math.floor(Date.now() / 1000);
  if (!data.exp || data.exp <= now) {
    throw refuse('invalid_request', 'The subject token has expired');
  }
  if (data.region === undefined || data.client_type === undefined || data.client_assurance_level === undefined) {
    throw refuse('invalid_request', 'The subject token lacks the user and client claims the API needs');
  }

  var granted = scopes(data.scope);
  var requested = scopes(request.getFormParameter('scope'));
  for (var i = 0; i < requested.length; i++) {
    if (granted.indexOf(requested[i]) === -1) {
      throw refuse('invalid_scope', 'Scope ' + requested[i] + ' was not granted to the subject token');
    }
  }
  var scope = requested.length > 0 ? requested : granted;

  var actor = { sub: POLICY.mcpClientId };
  if (data.act) {
    actor.act = data.act;
  }
  data.aud = [POLICY.apiAudience];
  data.scope = scope.join(' ');
  data.act = actor;
  // data.exp is kept: the new token never outlives the one presented.

  var issuer = context
    .getInitializedContext(context.subjectAttributes(), context.contextAttributes(), data.aud, scope)
    .getDefaultAccessTokenJwtIssuer();
  var accessToken = issuer.issue(data, context.getPresentedSubjectTokenDelegation());
  return {
    access_token: accessToken,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: 'bearer',
    scope: data.scope,
    expires_in: secondsUntil(data.exp)
  };
}
`;

// Dynamic Client Registration: every registered client gets the agent policy.
const AGENT_REGISTRATION = `
function result(context) {
  var request = context.getRequest();
  var attributes = {};
  if (request.getMethod() !== 'POST') {
    return attributes;
  }
  var body = request.getParsedBodyAsJson() || {};
  attributes.require_proof_key = true;
  attributes.access_token_ttl = POLICY.accessTokenTtlSeconds;
  attributes.refresh_token_ttl = POLICY.refreshTokenTtlSeconds;
  attributes.audiences = [POLICY.mcpResource];
  attributes.client_type = POLICY.clientType;
  attributes.client_assurance_level = POLICY.clientAssuranceLevel;
  if (body.client_name) {
    attributes.name = String(body.client_name);
  }
  return attributes;
}
`;

function source(policy: ProcedurePolicy, purpose: string, body: string): string {
  return `// ${purpose}\n// Generated from the deployment model; edit the model, not this file.\nvar POLICY = ${JSON.stringify(policy, null, 2)};\n${body}`;
}

/** The procedures with their ids and the paths Curity loads them from. */
export function generateProcedures(model: Model): ProcedureFile[] {
  const policy = procedurePolicy(model);
  return [
    {
      id: PROCEDURE_IDS.agentAccessToken,
      path: `${PROCEDURES_ROOT}/token-procedures/${FLOWS.authorizationCode}/${PROCEDURE_IDS.agentAccessToken}.js`,
      content: source(policy, 'Issues agents access tokens for the MCP server only.', AGENT_ACCESS_TOKEN),
    },
    {
      id: PROCEDURE_IDS.apiTokenExchange,
      path: `${PROCEDURES_ROOT}/token-procedures/${FLOWS.tokenExchange}/${PROCEDURE_IDS.apiTokenExchange}.js`,
      content: source(policy, 'Exchanges an MCP-audience token for an API-audience token.', API_TOKEN_EXCHANGE),
    },
    {
      id: PROCEDURE_IDS.agentRegistration,
      path: `${PROCEDURES_ROOT}/pre-processing-procedures/${PROCEDURE_IDS.agentRegistration}.js`,
      content: source(policy, 'Applies the agent policy to dynamically registered clients.', AGENT_REGISTRATION),
    },
  ];
}
