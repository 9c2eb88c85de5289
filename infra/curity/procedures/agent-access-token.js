// Issues agents access tokens for the MCP server only: audience the MCP resource, PKCE required,
// lifetime capped, AI-context claims added, a refresh token only when offline_access was granted.
// Runs in Curity's script engine: POLICY (the model's values) is put in front of this file by
// infra/curity/procedures.ts; exceptionFactory and secondsUntil are Curity's globals.
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
  data.scope = granted
    .filter(function (s) {
      return s.length > 0 && s !== 'offline_access';
    })
    .join(' ');

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
