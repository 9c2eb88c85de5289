-- The built-in authorization server's state. Times are seconds since the epoch, by the server's
-- clock. Every table has `expires_at`: the sweep deletes rows once it has passed. Bearer values
-- (client secrets, codes, access and refresh tokens) are stored only as SHA-256 hashes.

-- Clients registered dynamically (RFC 7591).
CREATE TABLE clients (
  client_id text PRIMARY KEY,
  secret_hash text,
  token_endpoint_auth_method text NOT NULL,
  redirect_uris jsonb NOT NULL,
  client_name text,
  scope text NOT NULL,
  grant_types jsonb NOT NULL,
  issued_at bigint NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX clients_expires_at ON clients (expires_at);

-- Authorization requests on their way through sign-in and consent.
CREATE TABLE sign_ins (
  id text PRIMARY KEY,
  state jsonb NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX sign_ins_expires_at ON sign_ins (expires_at);

-- Authorization codes; a redeemed code keeps its row (with the grant it started) to detect replays.
CREATE TABLE authorization_codes (
  code_hash text PRIMARY KEY,
  consent jsonb NOT NULL,
  usable_until bigint NOT NULL,
  grant_id text,
  expires_at bigint NOT NULL
);
CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);

-- What a user approved for a client: the family of every token issued from one consent.
CREATE TABLE grants (
  id text PRIMARY KEY,
  client_id text NOT NULL,
  subject text NOT NULL,
  scope text NOT NULL,
  resource text NOT NULL,
  claims jsonb NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX grants_expires_at ON grants (expires_at);

-- Opaque access tokens and the JWT each stands for. Revoking one deletes its row.
CREATE TABLE access_tokens (
  token_hash text PRIMARY KEY,
  jti text NOT NULL UNIQUE,
  grant_id text NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
  client_id text NOT NULL,
  jwt text NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX access_tokens_grant_id ON access_tokens (grant_id);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);

-- Refresh tokens; a used one keeps its row until it expires, so that its reuse is recognised.
CREATE TABLE refresh_tokens (
  token_hash text PRIMARY KEY,
  grant_id text NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
  client_id text NOT NULL,
  used_at bigint,
  expires_at bigint NOT NULL
);
CREATE INDEX refresh_tokens_grant_id ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- Fixed-window request counters per purpose and client address.
CREATE TABLE rate_limits (
  bucket text NOT NULL,
  address text NOT NULL,
  count integer NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY (bucket, address)
);
CREATE INDEX rate_limits_expires_at ON rate_limits (expires_at);

-- Wrong one-time codes per email address, across sign-ins (the lock-out).
CREATE TABLE code_failures (
  email text PRIMARY KEY,
  count integer NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX code_failures_expires_at ON code_failures (expires_at);

-- Signing keys; the private part encrypted (AES-256-GCM) with the key-encryption key. The key
-- that signs has no expiry; a replaced one expires once every token it signed has.
CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  public_jwk jsonb NOT NULL,
  private_key text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint
);
CREATE INDEX signing_keys_expires_at ON signing_keys (expires_at);
