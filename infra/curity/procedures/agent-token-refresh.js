/* global applyAgentPolicy -- defined by agent-claims.js, put in front of this file */
// Renews an agent's access token from its refresh token under the same rules as the first one
// (agent-claims.js): without this procedure Curity's default would issue a token for the client's
// default audience without the AI-context claims, which the MCP server and the API refuse. A user
// removed from the model gets no new token. Curity rotates refresh tokens: when it presents no
// reusable value, the next refresh token is issued here.
// POLICY and agent-claims.js are put in front of this file by infra/curity/procedures.ts.
function result(context) {
  var data = context.getDefaultAccessTokenData(context.delegation);
  applyAgentPolicy(data, POLICY.mcpResource);
  var accessToken = context.accessTokenIssuer.issue(data, context.delegation);
  var refreshToken = context.presentedToken.value;
  if (refreshToken === null || refreshToken === undefined) {
    refreshToken = context.refreshTokenIssuer.issue(context.getDefaultRefreshTokenData(), context.delegation);
  }
  return {
    access_token: accessToken,
    refresh_token: refreshToken,
    token_type: 'bearer',
    scope: data.scope,
    expires_in: secondsUntil(data.exp)
  };
}
