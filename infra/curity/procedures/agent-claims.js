// The rules every access token for agents follows, whichever grant issues it (authorization code or
// refresh): only the model's users, audience the MCP resource, lifetime capped, AI-context claims
// added, offline_access kept out of the token's scope. Put in front of the token procedures that
// use it by infra/curity/procedures.ts, after POLICY.

// Applies the rules to `data` (Curity's access-token data) and tells whether offline_access was granted.
function applyAgentPolicy(data, audience) {
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
  data.scope = granted
    .filter(function (s) {
      return s.length > 0 && s !== 'offline_access';
    })
    .join(' ');
  return POLICY.refreshTokenTtlSeconds > 0 && granted.indexOf('offline_access') !== -1;
}
