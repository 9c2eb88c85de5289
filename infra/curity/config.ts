/**
 * The Curity Identity Server's configuration, generated from the model: a pure function that
 * returns the XML (built with xmlbuilder2), the JavaScript procedures and the names of the
 * environment variables the XML expects. It is Curity's whole configuration, as Curity's own
 * examples ship it: data source (PostgreSQL), token-signing key, admin user and every secret are in
 * it, and every secret is a `#{NAME}` parameter that Curity fills from its environment at boot, so
 * no first-run installer is needed and no secret is ever in the output.
 */
import { create } from 'xmlbuilder2';
import { AS_PATHS, OFFLINE_ACCESS, type TokenSigningAlgorithm } from '@mcp-secured-api/contracts';
import type { Model } from '../model.ts';
import { FLOWS, PROCEDURE_IDS, PROCEDURES_ROOT, generateProcedures } from './procedures.ts';

export const CONFIG_PATH = `${PROCEDURES_ROOT}/mcp-secured-api.xml`;

/** Environment variables the generated XML reads, by purpose. */
export const CURITY_PARAMETERS = {
  licenseKey: 'LICENSE_KEY',
  /** The admin password as SHA-256 crypt (`$5$…`, see hash.ts). */
  adminPassword: 'ADMIN_PASSWORD',
  /** Client secrets as SHA-256 crypt (`$5$…`). */
  gatewayClientSecret: 'GATEWAY_CLIENT_SECRET',
  mcpClientSecret: 'MCP_CLIENT_SECRET',
  /** 32 random bytes as hex; protects Curity's cookies and sessions. */
  symmetricKey: 'SYMMETRIC_KEY',
  /** The token-signing keystore in Curity's form: what `convertks` makes of it (see commands.ts). */
  signingKey: 'SIGNING_KEY',
  /** The PostgreSQL data source: a JDBC URL, the role and its password. */
  dbConnection: 'DB_CONNECTION',
  dbUser: 'DB_USER',
  dbPassword: 'DB_PASSWORD',
} as const;
export type CurityParameter = (typeof CURITY_PARAMETERS)[keyof typeof CURITY_PARAMETERS];

/** The PostgreSQL JDBC driver Curity ships, and the JDBC URL of a database. */
export const POSTGRES_DRIVER = 'org.postgresql.Driver';
export function jdbcPostgresUrl(database: { host: string; port: number; database: string }): string {
  return `jdbc:postgresql://${database.host}:${database.port}/${database.database}`;
}

export interface CurityOptions {
  /** Where Curity sends one-time codes (maildev in the Docker deployment). */
  smtp: { host: string; port: number };
}

/** The id of the token-signing key under `<crypto>`, referenced by both token issuers. */
export const SIGNING_KEY_ID = 'default-signing-key';

export interface GeneratedFile {
  path: string;
  content: string;
}

export interface CurityConfig {
  xml: string;
  /** Every file to put into the server's container: the XML and the procedures. */
  files: GeneratedFile[];
  /** Names of the environment variables the XML needs. */
  parameters: CurityParameter[];
}

const NS = {
  config: 'http://tail-f.com/ns/config/1.0',
  base: 'https://curity.se/ns/conf/base',
  authentication: 'https://curity.se/ns/conf/profile/authentication',
  oauth: 'https://curity.se/ns/conf/profile/oauth',
  jdbc: 'https://curity.se/ns/ext-conf/jdbc',
  nacm: 'urn:ietf:params:xml:ns:yang:ietf-netconf-acm',
  aaa: 'http://tail-f.com/ns/aaa/1.1',
} as const;

const IDS = {
  authProfile: 'authentication-service',
  tokenProfile: 'token-service',
  authenticator: 'email',
  emailProvider: 'smtp',
  dataSource: 'default-datasource',
  accountManager: 'model-users',
  credentialManager: 'agent-client-secrets',
  clientMetadataHttpClient: 'client-metadata',
} as const;

const param = (name: CurityParameter) => `#{${name}}`;

/** Endpoint ids, paths and kinds; the paths are the contract shared with the built-in server. */
const TOKEN_ENDPOINTS = [
  { id: 'token-service-anonymous', uri: AS_PATHS.issuer, kind: 'oauth-anonymous' },
  { id: 'token-service-authorize', uri: AS_PATHS.authorize, kind: 'oauth-authorize' },
  { id: 'token-service-token', uri: AS_PATHS.token, kind: 'oauth-token' },
  { id: 'token-service-introspect', uri: AS_PATHS.introspect, kind: 'oauth-introspect' },
  { id: 'token-service-revoke', uri: AS_PATHS.revoke, kind: 'oauth-revoke' },
  { id: 'token-service-registration', uri: AS_PATHS.registration, kind: 'oauth-dynamic-client-registration' },
  { id: 'token-service-userinfo', uri: AS_PATHS.userinfo, kind: 'oauth-userinfo' },
  { id: 'token-service-session', uri: '/oauth/v2/oauth-session', kind: 'oauth-session' },
] as const;

const AUTHN_ENDPOINTS = [
  { id: 'authentication-service-anonymous', uri: '/authn/anonymous', kind: 'auth-anonymous' },
  { id: 'authentication-service-authentication', uri: '/authn/authentication', kind: 'auth-authentication' },
  { id: 'authentication-service-registration', uri: '/authn/registration', kind: 'auth-registration' },
] as const;

function environments(model: Model) {
  return {
    '@xmlns': NS.base,
    environment: {
      'base-url': model.origins.login,
      'admin-service': { http: { 'base-url': model.origins.admin, 'web-ui': {}, restconf: {} } },
      services: {
        zones: { 'default-zone': { 'email-provider': IDS.emailProvider, 'symmetric-key': param(CURITY_PARAMETERS.symmetricKey) } },
        'service-role': {
          id: 'default',
          protocol: 'http',
          endpoints: [...AUTHN_ENDPOINTS, ...TOKEN_ENDPOINTS].map((e) => e.id),
        },
      },
    },
  };
}

function endpoints(list: readonly { id: string; uri: string; kind: string }[], extra: Record<string, object> = {}) {
  return {
    endpoint: list.map((e) => ({ id: e.id, uri: e.uri, 'endpoint-kind': e.kind, ...(extra[e.id] ?? {}) })),
  };
}

function tokenIssuers(algorithm: string) {
  return {
    'default-token-issuer': {
      'jwt-issuer-settings': { algorithm, 'signing-key-id': SIGNING_KEY_ID },
      'default-data-source': IDS.dataSource,
    },
  };
}

function authenticationProfile(algorithm: string) {
  return {
    id: IDS.authProfile,
    type: { '@xmlns:auth': NS.authentication, '#': 'auth:authentication-service' },
    settings: {
      'authentication-service': {
        '@xmlns': NS.authentication,
        // The email authenticator is the only one: no other way to sign in.
        authenticators: {
          authenticator: {
            id: IDS.authenticator,
            email: {
              'account-manager': IDS.accountManager,
              'email-provider': { id: IDS.emailProvider },
              'send-otp-as-code': {},
            },
          },
        },
        protocols: { protocol: { id: 'default-simple-protocol', 'simple-api': {} } },
      },
    },
    endpoints: endpoints(AUTHN_ENDPOINTS),
    'token-issuers': tokenIssuers(algorithm),
  };
}

function tokenProfile(model: Model, algorithm: string) {
  const { gateway, mcpServer } = model.clients;
  const ttl = String(model.agentPolicy.accessTokenTtlSeconds);
  // With refresh tokens, agents may ask for offline_access; the user consents to it as its own
  // scope, and the token procedure issues a refresh token only when it was granted.
  const refreshTtl = model.agentPolicy.refreshTokenTtlSeconds;
  const agentScopes = refreshTtl > 0 ? [model.scope, OFFLINE_ACCESS] : model.scope;
  return {
    id: IDS.tokenProfile,
    type: { '@xmlns:as': NS.oauth, '#': 'as:oauth-service' },
    settings: {
      'authorization-server': {
        '@xmlns': NS.oauth,
        'authentication-service': { 'authentication-profile': IDS.authProfile },
        'client-capabilities': {
          code: { 'disallowed-proof-key-challenge-methods': 'plain' },
          introspection: {},
          'oauth-token-exchange': {},
        },
        scopes: {
          scope: [
            { id: model.scope, description: model.scopeDescription },
            ...(refreshTtl > 0 ? [{ id: OFFLINE_ACCESS, description: 'Keep this access while you are away (refresh tokens)' }] : []),
          ],
        },
        'expose-metadata': {},
        'client-store': {
          'config-backed': {
            client: [
              {
                id: gateway.id,
                secret: param(CURITY_PARAMETERS.gatewayClientSecret),
                capabilities: { introspection: {} },
              },
              {
                id: mcpServer.id,
                secret: param(CURITY_PARAMETERS.mcpClientSecret),
                scope: model.scope,
                capabilities: { 'oauth-token-exchange': {} },
              },
            ],
          },
        },
        // Agents that register (RFC 7591); the registration procedure adds the agent policy.
        'dynamic-client-registration': {
          'client-data-source': IDS.dataSource,
          'non-templatized': {
            capabilities: { code: {} },
            scopes: { scope: agentScopes },
            authenticators: { all: {} },
            'client-authentication-method': {
              secret: { 'credential-manager': IDS.credentialManager },
              'no-authentication': {},
            },
            'no-authentication': {},
            'user-consent': {},
          },
        },
        // Agents identified by a Client ID Metadata Document URL.
        'ephemeral-client': {
          capabilities: { code: {} },
          'client-authentication-method': { 'no-authentication': {} },
          // MCP clients on a person's machine receive the code on a loopback redirect URI (RFC 8252).
          'redirect-uri-validation': { 'allow-loopback-redirect-uris': 'true' },
          'access-token-ttl': ttl,
          'refresh-token-ttl': refreshTtl > 0 ? String(refreshTtl) : 'disabled',
          scopes: { scope: agentScopes },
          authenticators: { authenticator: IDS.authenticator },
          // Documents are cached as their Cache-Control allows, within Curity's bounds.
          cache: {},
          'user-consent': {},
          // How metadata documents are fetched: TLS verified against the server trust store.
          'http-client': IDS.clientMetadataHttpClient,
        },
      },
    },
    endpoints: endpoints(TOKEN_ENDPOINTS, {
      'token-service-token': {
        'token-endpoint-procedures': [
          { flow: FLOWS.authorizationCode, procedure: PROCEDURE_IDS.agentAccessToken },
          { flow: FLOWS.refresh, procedure: PROCEDURE_IDS.agentTokenRefresh },
          { flow: FLOWS.tokenExchange, procedure: PROCEDURE_IDS.apiTokenExchange },
        ],
      },
      'token-service-registration': { 'pre-processing-procedure': PROCEDURE_IDS.agentRegistration },
    }),
    'token-issuers': tokenIssuers(algorithm),
  };
}

/**
 * The signing key's entry. Its `type` defaults to `rsa` (PS256); a P-256 key (ES256) is declared
 * with its type and curve as Curity's own ES256 configuration does. An Ed25519 key (EdDSA) is
 * declared like an RSA one: no source shows the type Curity expects for it (SOURCES.md).
 */
function signingKey(algorithm: TokenSigningAlgorithm) {
  const keystore = param(CURITY_PARAMETERS.signingKey);
  if (algorithm === 'ES256') return { id: SIGNING_KEY_ID, 'curve-name': 'P-256', keystore, type: 'elliptic-curve' };
  return { id: SIGNING_KEY_ID, keystore };
}

function facilities(model: Model, options: CurityOptions) {
  return {
    '@xmlns': NS.base,
    'data-sources': {
      'data-source': {
        id: IDS.dataSource,
        // The deployment's PostgreSQL server (its own database and role); the schema and the users
        // are created before the server starts, by the init step (commands.ts).
        jdbc: {
          '@xmlns': NS.jdbc,
          'connection-string': param(CURITY_PARAMETERS.dbConnection),
          'standard-credentials-mode': {},
          driver: POSTGRES_DRIVER,
          password: param(CURITY_PARAMETERS.dbPassword),
          username: param(CURITY_PARAMETERS.dbUser),
        },
      },
    },
    'email-providers': {
      'email-provider': {
        id: IDS.emailProvider,
        smtp: {
          'smtp-host': options.smtp.host,
          'smtp-port': String(options.smtp.port),
          'default-sender': `no-reply@${model.config.domain}`,
        },
      },
    },
    http: {
      client: { id: IDS.clientMetadataHttpClient, tls: { 'use-truststore': 'true' } },
    },
    // The key that signs tokens, of the kind the model's algorithm needs (key-material.ts),
    // generated by the deployment, never by Curity's installer.
    crypto: {
      'signing-keys': { 'signing-key': signingKey(model.config.tokenSigningAlgorithm) },
    },
    // Sessions and caches in the database too, so a restart signs nobody out.
    'caching-services': { 'default-caching-service': { 'data-source': IDS.dataSource } },
  };
}

function processing() {
  return {
    '@xmlns': NS.base,
    'license-key': param(CURITY_PARAMETERS.licenseKey),
    'account-managers': {
      // No enable-registration: only the accounts from the model exist.
      'account-manager': { id: IDS.accountManager, 'username-is-email': 'true', 'account-data-source': IDS.dataSource },
    },
    'credential-managers': {
      'credential-manager': {
        id: IDS.credentialManager,
        Sha2WithSha256: {},
        'data-source-backed': { 'data-source-id': IDS.dataSource },
      },
    },
  };
}

/** The `admin` user of the admin UI and RESTCONF, with full access. */
function adminAccess() {
  return {
    nacm: {
      '@xmlns': NS.nacm,
      'write-default': 'permit',
      groups: { group: { name: 'admin', 'user-name': 'admin' } },
      'rule-list': { name: 'admin', group: 'admin', rule: { name: 'any-access', action: 'permit' } },
    },
    aaa: {
      '@xmlns': NS.aaa,
      authentication: {
        users: {
          user: {
            name: 'admin',
            uid: '0',
            gid: '0',
            password: param(CURITY_PARAMETERS.adminPassword),
            ssh_keydir: '/opt/idsvr/home/admin/.ssh',
            homedir: '/opt/idsvr/home/admin',
          },
        },
      },
    },
  };
}

export function generateCurityXml(model: Model, options: CurityOptions): string {
  const algorithm = model.config.tokenSigningAlgorithm;
  const doc = create({ version: '1.0', encoding: 'UTF-8' }).ele(NS.config, 'config');
  doc.ele({
    environments: environments(model),
    profiles: {
      '@xmlns': NS.base,
      profile: [authenticationProfile(algorithm), tokenProfile(model, algorithm)],
    },
    facilities: facilities(model, options),
    processing: processing(),
    ...adminAccess(),
  });
  return doc.end({ prettyPrint: true });
}

export function generateCurityConfig(model: Model, options: CurityOptions): CurityConfig {
  const xml = generateCurityXml(model, options);
  return {
    xml,
    files: [{ path: CONFIG_PATH, content: xml }, ...generateProcedures(model).map(({ path, content }) => ({ path, content }))],
    parameters: Object.values(CURITY_PARAMETERS),
  };
}
