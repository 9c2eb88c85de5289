import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import vm from 'node:vm';
import { buildModel, parseStackConfig, type Model } from '../model.ts';
import { FLOWS, PROCEDURE_IDS, generateProcedures } from './procedures.ts';

const model = buildModel(
  parseStackConfig({
    domain: 'demo.example',
    scope: 'stocks/read',
    accessTokenTtlSeconds: 600,
    clientAssuranceLevel: 2,
    users: [
      { email: 'john.doe@demo.example', region: 'USA' },
      { email: 'jane.test@demo.example', region: 'Europe' },
    ],
  }),
);

/** What Curity's `exceptionFactory` throws, so a test can read the OAuth error. */
class ProcedureError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
  }
}

/** Compiles a generated procedure with the globals Curity gives procedures. */
function load(id: string, m: Model = model): (context: unknown) => Record<string, unknown> {
  const file = generateProcedures(m).find((p) => p.id === id);
  assert.ok(file, `procedure ${id} is generated`);
  const sandbox: Record<string, unknown> = {
    exceptionFactory: { badRequestException: (error: string, description: string) => new ProcedureError(error, description) },
    secondsUntil: (exp: number) => exp - Math.floor(Date.now() / 1000),
    logger: { info() {}, warn() {}, debug() {} },
  };
  vm.createContext(sandbox);
  vm.runInContext(file.content, sandbox, { filename: file.path, timeout: 1000 });
  return sandbox.result as (context: unknown) => Record<string, unknown>;
}

function request(form: Record<string, string | undefined>, method = 'POST', body?: unknown) {
  return {
    getFormParameter: (name: string) => form[name] ?? null,
    getMethod: () => method,
    getParsedBodyAsJson: () => body ?? null,
  };
}

const now = () => Math.floor(Date.now() / 1000);

/** Values made inside the vm context have that context's prototypes: copy them out to compare. */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function assertRefused(run: () => unknown, error: string) {
  assert.throws(run, (e: unknown) => e instanceof ProcedureError && e.error === error);
}

describe('authorization-code procedure (agents)', () => {
  function codeContext(form: Record<string, string | undefined>, tokenData: Record<string, unknown> = {}) {
    const issued: { data?: Record<string, unknown> } = {};
    const iat = now();
    const context = {
      getRequest: () => request(form),
      getDefaultDelegationData: () => ({}),
      delegationIssuer: { issue: () => 'delegation' },
      getDefaultAccessTokenData: () => ({
        sub: 'John.Doe@demo.example',
        scope: 'stocks/read',
        aud: ['something-else'],
        iat,
        exp: iat + 3600,
        ...tokenData,
      }),
      accessTokenIssuer: {
        issue: (data: Record<string, unknown>) => {
          issued.data = plain(data);
          return 'opaque-token';
        },
      },
    };
    return { context, issued, iat };
  }
  const run = load(PROCEDURE_IDS.agentAccessToken);
  const pkce = { code_verifier: 'v'.repeat(43) };

  it('issues a refresh token only when offline_access was granted, and keeps offline_access out of the access token', () => {
    const refreshing = (scope: string, policy = run) => {
      const { context } = codeContext({ ...pkce }, { scope });
      const issuer = { issue: (_data: unknown, delegation: unknown) => `refresh-of-${String(delegation)}` };
      return policy({ ...context, refreshTokenIssuer: issuer, getDefaultRefreshTokenData: () => ({}) });
    };
    const offline = refreshing('stocks/read offline_access');
    assert.equal(offline.refresh_token, 'refresh-of-delegation');
    assert.equal(offline.scope, 'stocks/read');
    assert.equal(refreshing('stocks/read').refresh_token, undefined);
    const off = buildModel(
      parseStackConfig({
        domain: 'demo.example',
        scope: 'stocks/read',
        refreshTokenTtlSeconds: 0,
        users: [{ email: 'john.doe@demo.example', region: 'USA' }],
      }),
    );
    const withoutRefresh = load(PROCEDURE_IDS.agentAccessToken, off);
    assert.equal(refreshing('stocks/read offline_access', withoutRefresh).refresh_token, undefined);
  });

  it('issues a token for the MCP resource with the AI-context claims and no refresh token', () => {
    const { context, issued, iat } = codeContext({ ...pkce, resource: model.mcpResource });
    const response = run(context);
    assert.equal(response.access_token, 'opaque-token');
    assert.equal(response.refresh_token, undefined);
    assert.deepEqual(issued.data?.aud, [model.mcpResource]);
    assert.equal(issued.data?.region, 'USA');
    assert.equal(issued.data?.client_type, 'mcp');
    assert.equal(issued.data?.client_assurance_level, 2);
    // Lifetime cut from the default hour to the model's 600 seconds.
    assert.equal(issued.data?.exp, iat + 600);
    assert.ok((response.expires_in as number) <= 600);
  });

  it('defaults the audience to the MCP resource and accepts it without the trailing slash', () => {
    for (const resource of [undefined, model.mcpResource.replace(/\/$/, '')]) {
      const { context, issued } = codeContext({ ...pkce, resource });
      run(context);
      assert.deepEqual(issued.data?.aud, [model.mcpResource]);
    }
  });

  it('refuses any other resource', () => {
    for (const resource of [model.apiAudience, 'https://evil.example/', `${model.mcpResource}x`]) {
      const { context, issued } = codeContext({ ...pkce, resource });
      assertRefused(() => run(context), 'invalid_target');
      assert.equal(issued.data, undefined);
    }
  });

  it('requires PKCE', () => {
    const { context } = codeContext({ resource: model.mcpResource });
    assertRefused(() => run(context), 'invalid_grant');
  });

  it('refuses a subject who is not one of the model users', () => {
    const { context } = codeContext({ ...pkce }, { sub: 'mallory@demo.example' });
    assertRefused(() => run(context), 'invalid_grant');
  });

  it('never lengthens a lifetime that is already shorter', () => {
    const { context, issued, iat } = codeContext({ ...pkce }, { exp: now() + 60 });
    run(context);
    assert.equal(issued.data?.exp, iat + 60);
  });
});

describe('refresh procedure (agents)', () => {
  const run = load(PROCEDURE_IDS.agentTokenRefresh);

  /** Curity's refresh context: the default data is the client's, not what the first token carried. */
  function refreshContext(tokenData: Record<string, unknown> = {}, presentedValue: string | null = null) {
    const issued: { data?: Record<string, unknown>; refresh?: unknown } = {};
    const iat = now();
    const context = {
      delegation: 'delegation',
      presentedToken: { value: presentedValue },
      getDefaultAccessTokenData: (delegation: unknown) => {
        assert.equal(delegation, 'delegation');
        return {
          sub: 'jane.test@demo.example',
          scope: 'stocks/read offline_access',
          aud: ['client-default'],
          iat,
          exp: iat + 3600,
          ...tokenData,
        };
      },
      accessTokenIssuer: {
        issue: (data: Record<string, unknown>) => {
          issued.data = plain(data);
          return 'renewed-token';
        },
      },
      getDefaultRefreshTokenData: () => ({}),
      refreshTokenIssuer: { issue: (_data: unknown, delegation: unknown) => (issued.refresh = `refresh-of-${String(delegation)}`) },
    };
    return { context, issued, iat };
  }

  it('renews the token with the same audience, claims and lifetime cap as the first one', () => {
    const { context, issued, iat } = refreshContext();
    const response = run(context);
    assert.equal(response.access_token, 'renewed-token');
    assert.deepEqual(issued.data?.aud, [model.mcpResource]);
    assert.equal(issued.data?.region, 'Europe');
    assert.equal(issued.data?.client_type, 'mcp');
    assert.equal(issued.data?.client_assurance_level, 2);
    assert.equal(issued.data?.exp, iat + 600);
    assert.equal(issued.data?.scope, 'stocks/read');
    assert.equal(response.scope, 'stocks/read');
  });

  it('issues the next refresh token when Curity rotates, and hands back a reusable one otherwise', () => {
    const rotated = refreshContext();
    assert.equal(run(rotated.context).refresh_token, 'refresh-of-delegation');
    const reused = refreshContext({}, 'the-same-refresh-token');
    assert.equal(run(reused.context).refresh_token, 'the-same-refresh-token');
    assert.equal(reused.issued.refresh, undefined);
  });

  it('gives a user removed from the model no new token', () => {
    const { context, issued } = refreshContext({ sub: 'former.employee@demo.example' });
    assertRefused(() => run(context), 'invalid_grant');
    assert.equal(issued.data, undefined);
  });
});

describe('token-exchange procedure (MCP server)', () => {
  const run = load(PROCEDURE_IDS.apiTokenExchange);
  const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

  function exchangeContext(
    form: Record<string, string | undefined>,
    subject: Record<string, unknown> | null = {},
    clientId = model.clients.mcpServer.id,
  ) {
    const issued: { data?: Record<string, unknown>; scopes?: string[]; aud?: unknown } = {};
    const subjectToken =
      subject === null
        ? null
        : {
            sub: 'john.doe@demo.example',
            aud: [model.mcpResource],
            scope: 'stocks/read',
            exp: now() + 300,
            region: 'USA',
            client_type: 'mcp',
            client_assurance_level: 2,
            ...subject,
          };
    const context = {
      client: { id: clientId },
      getRequest: () => request({ subject_token_type: ACCESS_TOKEN, ...form }),
      getPresentedSubjectToken: () => subjectToken,
      getPresentedSubjectTokenDelegation: () => 'delegation',
      subjectAttributes: () => ({}),
      contextAttributes: () => ({}),
      getInitializedContext: (_s: unknown, _c: unknown, aud: unknown, scopes: string[]) => {
        issued.aud = plain(aud);
        issued.scopes = plain(scopes);
        return {
          getDefaultAccessTokenJwtIssuer: () => ({
            issue: (data: Record<string, unknown>) => {
              issued.data = plain(data);
              return 'api-jwt';
            },
          }),
        };
      },
    };
    return { context, issued, subjectToken };
  }

  it('turns an MCP-audience token into an API-audience token naming the MCP server as actor', () => {
    const { context, issued, subjectToken } = exchangeContext({ audience: model.apiAudience });
    const response = run(context);
    assert.equal(response.access_token, 'api-jwt');
    assert.equal(response.issued_token_type, ACCESS_TOKEN);
    assert.deepEqual(issued.data?.aud, [model.apiAudience]);
    assert.deepEqual(issued.data?.act, { sub: model.clients.mcpServer.id });
    assert.equal(issued.data?.scope, 'stocks/read');
    assert.equal(issued.data?.exp, subjectToken?.exp, 'lifetime never longer than the subject token');
    assert.equal(issued.data?.region, 'USA');
    assert.equal(issued.data?.client_type, 'mcp');
    assert.equal(issued.data?.client_assurance_level, 2);
  });

  it('accepts a subject audience given as a string and the target given as resource', () => {
    const { context, issued } = exchangeContext({ resource: model.apiAudience }, { aud: model.mcpResource });
    run(context);
    assert.deepEqual(issued.data?.aud, [model.apiAudience]);
  });

  it('refuses subject tokens for any other audience', () => {
    for (const aud of [[model.apiAudience], ['https://other.example/'], []]) {
      const { context, issued } = exchangeContext({ audience: model.apiAudience }, { aud });
      assertRefused(() => run(context), 'invalid_request');
      assert.equal(issued.data, undefined);
    }
  });

  it('refuses any target other than the API', () => {
    const { context } = exchangeContext({ audience: model.mcpResource });
    assertRefused(() => run(context), 'invalid_target');
  });

  it('never widens the scope', () => {
    const { context } = exchangeContext({ audience: model.apiAudience, scope: 'stocks/read stocks/write' });
    assertRefused(() => run(context), 'invalid_scope');
  });

  it('narrows the scope when asked', () => {
    const { context, issued } = exchangeContext({ audience: model.apiAudience, scope: 'stocks/read' }, { scope: 'stocks/read profile' });
    run(context);
    assert.equal(issued.data?.scope, 'stocks/read');
    assert.deepEqual(issued.scopes, ['stocks/read']);
  });

  it('keeps an earlier actor inside the new act claim', () => {
    const { context, issued } = exchangeContext({ audience: model.apiAudience }, { act: { sub: 'upstream' } });
    run(context);
    assert.deepEqual(issued.data?.act, { sub: model.clients.mcpServer.id, act: { sub: 'upstream' } });
  });

  it('refuses other clients, other token types, inactive or expired tokens and tokens without the claims', () => {
    assertRefused(() => run(exchangeContext({}, {}, 'some-agent').context), 'unauthorized_client');
    assertRefused(
      () => run(exchangeContext({ subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }).context),
      'invalid_request',
    );
    assertRefused(() => run(exchangeContext({}, null).context), 'invalid_request');
    assertRefused(() => run(exchangeContext({}, { exp: now() - 1 }).context), 'invalid_request');
    assertRefused(() => run(exchangeContext({}, { region: undefined }).context), 'invalid_request');
  });
});

describe('registration pre-processing procedure (DCR)', () => {
  const run = load(PROCEDURE_IDS.agentRegistration);

  it('gives every registered client the agent policy', () => {
    const context = {
      getRequest: () =>
        request({}, 'POST', {
          client_name: 'Claude',
          client_uri: 'https://claude.ai',
          grant_types: ['authorization_code', 'refresh_token'],
        }),
    };
    assert.deepEqual(plain(run(context)), {
      require_proof_key: true,
      access_token_ttl: 600,
      refresh_token_ttl: 86_400,
      audiences: [model.mcpResource],
      client_type: 'mcp',
      client_assurance_level: 2,
      name: 'Claude',
    });
  });

  it('leaves reads of a registration alone', () => {
    assert.deepEqual(plain(run({ getRequest: () => request({}, 'GET') })), {});
  });
});

describe('generated procedures', () => {
  it('sit where Curity loads them, one token procedure per flow', () => {
    const paths = generateProcedures(model).map((p) => p.path);
    assert.deepEqual(paths, [
      `/opt/idsvr/etc/init/token-procedures/${FLOWS.authorizationCode}/${PROCEDURE_IDS.agentAccessToken}.js`,
      `/opt/idsvr/etc/init/token-procedures/${FLOWS.refresh}/${PROCEDURE_IDS.agentTokenRefresh}.js`,
      `/opt/idsvr/etc/init/token-procedures/${FLOWS.tokenExchange}/${PROCEDURE_IDS.apiTokenExchange}.js`,
      `/opt/idsvr/etc/init/pre-processing-procedures/${PROCEDURE_IDS.agentRegistration}.js`,
    ]);
  });

  it('follow the model: another domain and user list give other audiences and regions', () => {
    const other = buildModel(
      parseStackConfig({ domain: 'corp.example', scope: 'quotes/read', users: [{ email: 'ann@corp.example', region: 'Asia' }] }),
    );
    const run = load(PROCEDURE_IDS.agentAccessToken, other);
    const issued: Record<string, unknown>[] = [];
    const context = {
      getRequest: () => request({ code_verifier: 'x'.repeat(43), resource: 'https://mcp.corp.example/' }),
      getDefaultDelegationData: () => ({}),
      delegationIssuer: { issue: () => 'd' },
      getDefaultAccessTokenData: () => ({ sub: 'ann@corp.example', scope: 'quotes/read', iat: now(), exp: now() + 100 }),
      accessTokenIssuer: { issue: (data: Record<string, unknown>) => (issued.push(plain(data)), 't') },
    };
    run(context);
    assert.deepEqual(issued[0]?.aud, ['https://mcp.corp.example/']);
    assert.equal(issued[0]?.region, 'Asia');
    // The old domain's resource is now refused.
    assertRefused(
      () => run({ ...context, getRequest: () => request({ code_verifier: 'x'.repeat(43), resource: model.mcpResource }) }),
      'invalid_target',
    );
  });
});
