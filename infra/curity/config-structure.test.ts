/**
 * Curity cannot run here, so the generated XML is checked against the shape of Curity's published
 * example configurations for the 11.x line (infra/curity/SOURCES.md lists them): every element we
 * write must sit where those examples put an element of that name, in the namespace they use. The
 * tree below was read from those examples; one element (code/disallowed-proof-key-challenge-methods)
 * appears in none of them and is taken from Curity's configuration reference instead.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from 'xmlbuilder2';
import { buildModel, parseStackConfig, type StackConfigInput } from '../model.ts';
import { generateCurityXml } from './config.ts';

const KNOWN_TREE = `
  config
    environments
      environment
        base-url
        admin-service
          http
            base-url
            web-ui
            restconf
        services
          zones
            default-zone
              email-provider
              symmetric-key
          service-role
            id
            protocol
            endpoints
    profiles
      profile
        id
        type
        settings
          authentication-service
            authenticators
              authenticator
                id
                email
                  account-manager
                  email-provider
                    id
                  send-otp-as-code
            protocols
              protocol
                id
                simple-api
          authorization-server
            authentication-service
              authentication-profile
            client-capabilities
              code
                disallowed-proof-key-challenge-methods
              introspection
              oauth-token-exchange
            scopes
              scope
                id
                description
            expose-metadata
            client-store
              config-backed
                client
                  id
                  secret
                  capabilities
                    introspection
                    oauth-token-exchange
                  scope
            dynamic-client-registration
              client-data-source
              non-templatized
                capabilities
                  code
                scopes
                  scope
                authenticators
                  all
                client-authentication-method
                  secret
                    credential-manager
                  no-authentication
                no-authentication
                user-consent
            ephemeral-client
              capabilities
                code
              client-authentication-method
                no-authentication
              redirect-uri-validation
                allow-loopback-redirect-uris
              access-token-ttl
              refresh-token-ttl
              scopes
                scope
              authenticators
                authenticator
              cache
              user-consent
              http-client
        endpoints
          endpoint
            id
            uri
            endpoint-kind
            token-endpoint-procedures
              flow
              procedure
            pre-processing-procedure
        token-issuers
          default-token-issuer
            jwt-issuer-settings
              algorithm
              signing-key-id
            default-data-source
    facilities
      data-sources
        data-source
          id
          jdbc
            connection-string
            standard-credentials-mode
            driver
            password
            username
      email-providers
        email-provider
          id
          smtp
            smtp-host
            smtp-port
            default-sender
      http
        client
          id
          tls
            use-truststore
      crypto
        signing-keys
          signing-key
            id
            curve-name
            keystore
            type
      caching-services
        default-caching-service
          data-source
    processing
      license-key
      account-managers
        account-manager
          id
          username-is-email
          account-data-source
      credential-managers
        credential-manager
          id
          Sha2WithSha256
          data-source-backed
            data-source-id
    nacm
      write-default
      groups
        group
          name
          user-name
      rule-list
        name
        group
        rule
          name
          action
    aaa
      authentication
        users
          user
            name
            uid
            gid
            password
            ssh_keydir
            homedir
`;

/** Every path of the indented tree, e.g. `/config/environments/environment/base-url`. */
function knownPaths(tree: string): Set<string> {
  const paths = new Set<string>();
  const stack: string[] = [];
  for (const line of tree.split('\n').filter((l) => l.trim())) {
    const depth = (line.length - line.trimStart().length) / 2 - 1;
    stack.length = depth;
    stack.push(line.trim());
    paths.add(`/${stack.join('/')}`);
  }
  return paths;
}

type Node = { [key: string]: unknown };

/** Every element path of a document, and the default namespace declared on each. */
function elements(xml: string): { paths: Set<string>; namespaces: Map<string, string> } {
  const paths = new Set<string>();
  const namespaces = new Map<string, string>();
  const walk = (node: Node, prefix: string) => {
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith('@') || key === '#') continue;
      for (const item of Array.isArray(value) ? value : [value]) {
        const path = `${prefix}/${key}`;
        paths.add(path);
        if (item && typeof item === 'object') {
          const ns = (item as Node)['@xmlns'];
          if (typeof ns === 'string') namespaces.set(path, ns);
          walk(item as Node, path);
        }
      }
    }
  };
  walk(create(xml).end({ format: 'object' }) as Node, '');
  return { paths, namespaces };
}

// The namespaces Curity's examples declare on these elements.
const NAMESPACES: Record<string, string> = {
  '/config': 'http://tail-f.com/ns/config/1.0',
  '/config/environments': 'https://curity.se/ns/conf/base',
  '/config/profiles': 'https://curity.se/ns/conf/base',
  '/config/facilities': 'https://curity.se/ns/conf/base',
  '/config/processing': 'https://curity.se/ns/conf/base',
  '/config/profiles/profile/settings/authentication-service': 'https://curity.se/ns/conf/profile/authentication',
  '/config/profiles/profile/settings/authorization-server': 'https://curity.se/ns/conf/profile/oauth',
  '/config/facilities/data-sources/data-source/jdbc': 'https://curity.se/ns/ext-conf/jdbc',
  '/config/nacm': 'urn:ietf:params:xml:ns:yang:ietf-netconf-acm',
  '/config/aaa': 'http://tail-f.com/ns/aaa/1.1',
};

const base: StackConfigInput = {
  domain: 'demo.example',
  scope: 'stocks/read',
  users: [{ email: 'ann@demo.example', region: 'USA' }],
  curityLicenseKey: 'licence',
};
const smtp = { host: 'maildev', port: 1025 };

describe("the generated Curity XML has the shape of Curity's published configurations", () => {
  const known = knownPaths(KNOWN_TREE);

  for (const [label, change] of [
    ['dev', {}],
    ['http, another domain and scope', { scheme: 'http', domain: 'corp.example', scope: 'quotes/read' }],
    ['EdDSA', { tokenSigningAlgorithm: 'EdDSA' }],
    ['PS256', { tokenSigningAlgorithm: 'PS256' }],
  ] as const) {
    it(`names and nests every element as Curity's examples do (${label})`, () => {
      const { paths, namespaces } = elements(generateCurityXml(buildModel(parseStackConfig({ ...base, ...change })), { smtp }));
      const unknown = [...paths].filter((p) => !known.has(p));
      assert.deepEqual(unknown, [], 'elements that no Curity example has at that place');
      for (const [path, ns] of Object.entries(NAMESPACES)) assert.equal(namespaces.get(path), ns, path);
    });
  }

  it('has the PostgreSQL data source, the signing key under <crypto> and the admin user', () => {
    const { paths } = elements(generateCurityXml(buildModel(parseStackConfig(base)), { smtp }));
    for (const required of [
      '/config/facilities/data-sources/data-source/jdbc/connection-string',
      '/config/facilities/data-sources/data-source/jdbc/driver',
      '/config/facilities/crypto/signing-keys/signing-key/keystore',
      '/config/aaa/authentication/users/user/password',
      '/config/processing/license-key',
    ]) {
      assert.ok(paths.has(required), required);
    }
  });

  it('catches an element out of place', () => {
    const known = knownPaths(KNOWN_TREE);
    assert.ok(known.has('/config/facilities/crypto/signing-keys/signing-key/keystore'));
    assert.ok(!known.has('/config/facilities/signing-keys'));
    assert.ok(!known.has('/config/processing/crypto'));
  });
});
