/* global applyAgentPolicy -- defined by agent-claims.js, put in front of this file */
// Issues agents access tokens for the MCP server only (the rules of agent-claims.js), PKCE
// required, a refresh token only when offline_access was granted.
// Runs in Curity's script engine: POLICY (the model's values) and agent-claims.js are put in front
// of this file by infra/curity/procedures.ts; exceptionFactory and secondsUntil are Curity's globals.
function audienceFor(resource) {
  if (!resource) {
    return POLICY.mcpResource;
  }
  var withoutSlash = POLICY.mcpResource.replace(/\/$/, '');
  if (resource === POLICY.mcpResource || resource === withoutSlash) {
    return POLICY.mcpResource;
  }
  throw exceptionFactory.badRequestException(
    'invalid_target',
    'The resource parameter must name the MCP server (' + POLICY.mcpResource + ')'
  );
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
  var offline = applyAgentPolicy(data, audience);

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
