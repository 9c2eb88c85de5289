// Exchanges an MCP-audience token for an API-audience token (RFC 8693): never wider in scope or
// longer in life, with an act claim naming the MCP server.
// Runs in Curity's script engine: POLICY (the model's values) is put in front of this file by
// infra/curity/procedures.ts; exceptionFactory and secondsUntil are Curity's globals.
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
  return String(value || '')
    .split(' ')
    .filter(function (s) {
      return s.length > 0;
    });
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
