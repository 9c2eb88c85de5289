// Applies the agent policy to every dynamically registered client (RFC 7591).
// Runs in Curity's script engine: POLICY (the model's values) is put in front of this file by
// infra/curity/procedures.ts; exceptionFactory and secondsUntil are Curity's globals.
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
