/**
 * The client against the MCP conformance suite (pinned in package.json): the `auth` suite of
 * protocol 2025-11-25 (metadata variants, CIMD, scope selection, step-up and its retry limit,
 * token endpoint authentication methods, pre-registration) and the 2025-03-26 back-compatibility
 * scenarios. The suite starts its own MCP and authorization servers on loopback ports and runs
 * `client/conformance-client.ts` once per scenario.
 *
 * The suite needs Node 22 or later. On an older Node, Node 22 from the npm registry's `node`
 * package is installed once into `.cache/node22` (git-ignored) and runs both the suite and,
 * through PATH, the client it starts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const NODE_22 = '22.21.1';
const SUITE_CLI = join(ROOT, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const CLIENT_COMMAND = 'node --import tsx client/conformance-client.ts';

const SUITES = [
  {
    suite: 'auth',
    specVersion: '2025-11-25',
    scenarios: [
      'auth/metadata-default',
      'auth/metadata-var1',
      'auth/metadata-var2',
      'auth/metadata-var3',
      'auth/basic-cimd',
      'auth/scope-from-www-authenticate',
      'auth/scope-from-scopes-supported',
      'auth/scope-omitted-when-undefined',
      'auth/scope-step-up',
      'auth/scope-retry-limit',
      'auth/token-endpoint-auth-basic',
      'auth/token-endpoint-auth-post',
      'auth/token-endpoint-auth-none',
      'auth/pre-registration',
    ],
  },
  {
    suite: 'backcompat',
    specVersion: '2025-03-26',
    scenarios: ['auth/2025-03-26-oauth-metadata-backcompat', 'auth/2025-03-26-oauth-endpoint-fallback'],
  },
];

/** Scenario → why it cannot pass. */
const expectedFailures = JSON.parse(readFileSync(join(ROOT, 'client', 'conformance-expected-failures.json'), 'utf8')) as Record<
  string,
  string
>;

async function node22(): Promise<string> {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  const prefix = join(ROOT, '.cache', 'node22');
  const binary = join(prefix, 'node_modules', 'node', 'bin', 'node');
  const installed = existsSync(binary) ? (await run(binary, ['--version'])).stdout.trim() : undefined;
  if (installed !== `v${NODE_22}`) {
    await run('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', `node@${NODE_22}`], {
      cwd: ROOT,
      timeout: 180_000,
    });
  }
  return binary;
}

test('the client passes the conformance suite’s auth and back-compatibility scenarios', { timeout: 420_000 }, async (t) => {
  const node = await node22();
  const work = await mkdtemp(join(tmpdir(), 'mcp-conformance-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const baseline = join(work, 'expected-failures.yaml');
  await writeFile(baseline, stringify({ client: Object.keys(expectedFailures) }));
  // The client command finds this Node first on PATH, so the suite runs it under Node 22 too.
  const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}` };

  const results = await Promise.all(
    SUITES.map(async ({ suite, specVersion, scenarios }) => {
      const args = [SUITE_CLI, 'client', '--command', CLIENT_COMMAND, '--suite', suite, '--spec-version', specVersion];
      const outcome = await run(node, [...args, '--expected-failures', baseline], {
        cwd: ROOT,
        env,
        timeout: 300_000,
        maxBuffer: 64 << 20,
      }).then(
        (r) => ({ status: 0, output: r.stdout + r.stderr }),
        (err: { code?: number; stdout?: string; stderr?: string }) => ({
          status: err.code ?? -1,
          output: `${err.stdout ?? ''}${err.stderr ?? ''}`,
        }),
      );
      return { suite, scenarios, ...outcome };
    }),
  );

  for (const { suite, scenarios, status, output } of results) {
    const summary = output.slice(output.indexOf('=== SUITE SUMMARY ==='));
    t.diagnostic(`${suite}: ${summary.split('\n').find((l) => l.startsWith('Total:')) ?? 'no summary'}`);
    for (const scenario of scenarios) {
      const line = summary.split('\n').find((l) => l.slice(2).startsWith(`${scenario}:`));
      assert.ok(line, `the ${suite} suite did not run ${scenario}:\n${output.slice(-4000)}`);
      const passed = line.startsWith('✓');
      assert.equal(
        passed,
        !(scenario in expectedFailures),
        `${line}\n${scenario in expectedFailures ? 'listed as an expected failure but passed: remove it' : output.slice(-6000)}`,
      );
    }
    assert.equal(status, 0, `the ${suite} suite failed:\n${output.slice(-6000)}`);
  }
});
