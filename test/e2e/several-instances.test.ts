/**
 * Two authorization-server processes on one PostgreSQL database, behind a balancer that sends
 * each request to the next one, act as one server: a sign-in whose steps land on either, a code
 * issued by one and redeemed at the other, a revocation at one seen by the other, rate limits and
 * wrong one-time codes counted together, one first signing key and one new key per rotation, published by
 * both. Needs a PostgreSQL server (TEST_DATABASE_URL); skipped, saying so, without one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { AS_PATHS, basicAuthorization, GRANT_TYPE, TOKEN_TYPE } from '@mcp-secured-api/contracts';
import { authorizationServerEnv } from '../../infra/environments.ts';
import {
  mailboxSnapshot,
  pageText,
  parseForms,
  readCode,
  signIn as headlessSignIn,
  UserAgent,
  type Page,
} from '../../infra/local/headless-sign-in.ts';
import { readStackFile } from '../../infra/local/stack-file.ts';
import { buildModel, type Model, type Secrets } from '../../infra/model.ts';
import { startEntryPoint, type RunningEntryPoint } from '../support/entry-point.ts';
import { startMaildev, type Maildev } from '../support/maildev.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { startRoundRobin, type RoundRobin } from '../support/round-robin.ts';
import { authorizationRequest, obtainToken, registerPublicClient, type ObtainedToken } from '../support/tokens.ts';
import { waitFor } from '../support/many-users.ts';

const MAIN = fileURLToPath(new URL('../../services/authorization-server/main.ts', import.meta.url));
const JOHN = 'john.doe@demo.example';
const SECRETS: Secrets = {
  gatewayClientSecret: 'gateway-secret-0123456789abcdef',
  mcpClientSecret: 'mcp-secret-0123456789abcdef-xyz',
  adminPassword: 'unused-admin-password-0123456789',
  cookieSecret: 'cookie-secret-0123456789abcdef-0123456789',
  keyEncryptionKey: 'key-encryption-key-0123456789abcdef-01234',
};

const database = await createTestDatabase('running several authorization servers on one PostgreSQL database');

describe('two authorization servers on one PostgreSQL database', { skip: database.skip, timeout: 180_000 }, () => {
  let mail: Maildev;
  let balancer: RoundRobin;
  let model: Model;
  let instances: RunningEntryPoint[] = [];

  before(async () => {
    if (database.skip) return;
    mail = await startMaildev();
    balancer = await startRoundRobin();
    model = buildModel(await readStackFile('dev'), { origins: { login: balancer.url } });
    const env = authorizationServerEnv(
      model,
      { authorizationServer: balancer.url, stocksApi: 'http://127.0.0.1:9', smtp: mail.smtp },
      SECRETS,
      0,
      // The balancer stands for the gateway: the server believes its X-Forwarded-For.
      { databaseUrl: database.url, trustedProxies: ['127.0.0.1'] },
    );
    // Started together on an empty database: the migrations and the first key must not race.
    instances = await Promise.all([startEntryPoint(MAIN, env), startEntryPoint(MAIN, env)]);
    balancer.backends = instances.map((i) => i.url);
  });
  after(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    await balancer?.close();
    await mail?.close();
    await database.drop();
  });

  /** Retries `check` until it passes (10 s at most). */
  const eventually = async (check: () => Promise<void>) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        return await check();
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  const kids = async (url: string) =>
    ((await (await fetch(`${url}${AS_PATHS.jwks}`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();
  const introspect = (url: string, token: string) =>
    fetch(`${url}${AS_PATHS.introspect}`, {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(model.clients.gateway.id, SECRETS.gatewayClientSecret),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/jwt',
      },
      body: new URLSearchParams({ token }),
    });
  const signIn = (options: Partial<Parameters<typeof obtainToken>[1]> = {}): Promise<ObtainedToken> =>
    obtainToken(model, { email: JOHN, mail: mail.apiUrl, ...options });

  test('started together on an empty database: one schema, one first signing key, published by both', async () => {
    const [a, b] = await Promise.all(instances.map((i) => kids(i.url)));
    assert.equal(a!.length, 1);
    assert.deepEqual(a, b);
  });

  test('a sign-in whose every step lands on the other instance; a code issued by one is redeemed at the other', async () => {
    const before = balancer.counts();
    const token = await signIn({ offlineAccess: true });
    const after = balancer.counts();
    assert.ok(after[0]! - before[0]! >= 3 && after[1]! - before[1]! >= 3, `requests per instance: ${after}`);
    for (const instance of instances) assert.equal((await introspect(instance.url, token.accessToken)).status, 200);

    // The code is issued by the first instance (consent), redeemed at the second.
    balancer.pin(0);
    const clientId = await registerPublicClient(model, 'http://127.0.0.1:8090/callback');
    const { url, verifier } = authorizationRequest(model, { clientId, redirectUri: 'http://127.0.0.1:8090/callback' });
    const result = await headlessSignIn({ authorizeUrl: url, email: JOHN, mailApi: mail.apiUrl });
    balancer.pin(undefined);
    const redeemed = await fetch(`${instances[1]!.url}${AS_PATHS.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: result.code!,
        client_id: clientId,
        redirect_uri: 'http://127.0.0.1:8090/callback',
        code_verifier: verifier,
      }),
    });
    assert.equal(redeemed.status, 200);
  });

  test('a token revoked at one instance is inactive at the other, and cannot be exchanged there', async () => {
    const token = await signIn();
    const jwt = await (await introspect(instances[1]!.url, token.accessToken)).text();
    const revoked = await fetch(`${instances[0]!.url}${AS_PATHS.revoke}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: token.accessToken, client_id: token.clientId }),
    });
    assert.equal(revoked.status, 200);
    assert.equal((await introspect(instances[1]!.url, token.accessToken)).status, 204);
    const exchange = await fetch(`${instances[1]!.url}${AS_PATHS.token}`, {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(model.clients.mcpServer.id, SECRETS.mcpClientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: GRANT_TYPE.tokenExchange, subject_token: jwt, subject_token_type: TOKEN_TYPE.accessToken }),
    });
    assert.equal(exchange.status, 400);
  });

  test('rate limits are counted across instances', async () => {
    const register = () =>
      fetch(model.endpoints.registration, {
        method: 'POST',
        // The address the gateway would have appended: one client behind both instances.
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.77' },
        body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:8090/callback'], token_endpoint_auth_method: 'none' }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await register()).status);
    assert.deepEqual(
      statuses.slice(0, 60).filter((s) => s !== 201),
      [],
    );
    assert.equal(statuses[60], 429, 'the 61st registration of the minute, whichever instance it reaches');
  });

  test("wrong one-time codes are counted across instances: ten, wherever they were typed, kill the user's outstanding codes; a new code works", async () => {
    const clientId = await registerPublicClient(model, 'http://127.0.0.1:8090/callback');
    const on = async <T>(instance: number, work: () => Promise<T>): Promise<T> => {
      balancer.pin(instance);
      try {
        return await work();
      } finally {
        balancer.pin(undefined);
      }
    };
    /** Starts a sign-in on `instance` and asks for a code; returns the browser, its page and the code delivered. */
    const startSignIn = (instance: number) =>
      on(instance, async () => {
        const agent = new UserAgent();
        let page = await agent.navigate(authorizationRequest(model, { clientId, redirectUri: 'http://127.0.0.1:8090/callback' }).url);
        const seen = await mailboxSnapshot(mail.apiUrl, JOHN);
        page = await agent.submit(parseForms(page.body, page.url)[0]!, { email: JOHN });
        return { agent, page, code: await readCode({ mailApi: mail.apiUrl, email: JOHN, exclude: seen }) };
      });
    const type = (instance: number, signIn: { agent: UserAgent; page: Page }, otp: string) =>
      on(instance, async () => {
        const form = parseForms(signIn.page.body, signIn.page.url).find((f) => 'otp' in f.fields);
        assert.ok(form, `a code field: ${pageText(signIn.page.body)}`);
        signIn.page = await signIn.agent.submit(form, { otp });
        return { text: pageText(signIn.page.body, 2_000), html: signIn.page.body };
      });

    // John has a code he has not typed yet; elsewhere, five wrong codes at each instance.
    const john = await startSignIn(0);
    for (const instance of [0, 1]) {
      const guesser = await startSignIn(instance);
      for (let i = 0; i < 5; i++) await type(instance, guesser, String(100_000 + i));
    }
    const dead = await type(1, john, john.code);
    assert.match(
      dead.text,
      /Too many wrong codes were entered for john\.doe@demo\.example ?, so for your safety the code we sent no longer works/,
      "John's code died, whichever instance counted the wrong codes",
    );
    assert.doesNotMatch(dead.html, /name="decision"/, 'the dead code did not lead to the consent page');

    // A new code, asked for at one instance and typed at the other, works.
    const seen = await mailboxSnapshot(mail.apiUrl, JOHN);
    john.page = await on(0, () => john.agent.submit(parseForms(john.page.body, john.page.url).find((f) => f.fields.email === JOHN)!));
    const fresh = await type(1, john, await readCode({ mailApi: mail.apiUrl, email: JOHN, exclude: seen }));
    assert.match(fresh.html, /name="decision"/, 'the new code leads to the consent page');
  });

  test('key rotation at one instance: one new key, published by both; rotations asked of both at once make one key', async () => {
    const first = await kids(instances[0]!.url);
    process.kill(instances[0]!.pid, 'SIGUSR2');
    await waitFor(() => /signing key rotated/.test(instances[0]!.output()), 10_000, 'the rotation');
    const second = await kids(instances[0]!.url);
    assert.equal(second.length, first.length + 1);
    // The other instance reads the database again once its copy is older than a second.
    await eventually(async () => assert.deepEqual(await kids(instances[1]!.url), second));

    for (const instance of instances) process.kill(instance.pid, 'SIGUSR2');
    await waitFor(
      () => instances.every((i) => (i.output().match(/signing key rotated/g) ?? []).length >= (i === instances[0] ? 2 : 1)),
      10_000,
      'both rotations',
    );
    const third = await kids(instances[0]!.url);
    assert.equal(third.length, second.length + 1, 'one new key, not two');
    await eventually(async () => assert.deepEqual(await kids(instances[1]!.url), third));
    assert.equal(
      instances.map((i) => /made by another instance/.test(i.output())).filter(Boolean).length,
      1,
      'one of them found the key already replaced',
    );
  });
});
