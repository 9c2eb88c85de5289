/**
 * The client against the MCP conformance suite (pinned in package.json), run three ways by the
 * same release: everything the 2026-07-28 revision requires of a client (`--requirements`,
 * frozen at its release, run at that revision's stateless wire), everything 2025-11-25 requires
 * (its stateful wire), and the 2025-03-26 back-compatibility scenarios. The suite starts its own
 * MCP and authorization servers on loopback ports and runs `client/conformance-client.ts` (bundled
 * once) per scenario.
 *
 * Scenarios the client cannot pass are listed with the reason in
 * `conformance-expected-failures.json`, per run: a whole scenario, or one check of it as
 * `scenario:check-id`. No `auth/*` scenario may be listed. The suite fails the run on a failure
 * that is not listed and on a listed one that passes, so the list cannot go stale.
 *
 * The suite needs Node 22 or later. On an older Node, Node 22 from the npm registry's `node`
 * package is installed once into `.cache/node22` (git-ignored) and runs both the suite and,
 * through PATH, the client it starts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { stringify } from 'yaml';

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const NODE_22 = '22.21.1';
const SUITE_CLI = join(ROOT, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
// Three runs of up to 39 client processes share two cores with the other tests: a client that
// takes 30 s (the suite's default) to start is slow, not wrong.
const CLIENT_TIMEOUT_MS = '240000';

const RUNS = [
  { revision: '2026-07-28', args: ['--requirements', '2026-07-28'] },
  { revision: '2025-11-25', args: ['--requirements', '2025-11-25'] },
  { revision: '2025-03-26', args: ['--suite', 'backcompat', '--spec-version', '2025-03-26'] },
] as const;

/** Revision → scenario (or `scenario:check-id`) → why the client cannot pass it. */
const expectedFailures = JSON.parse(readFileSync(join(ROOT, 'client', 'conformance-expected-failures.json'), 'utf8')) as Record<
  string,
  Record<string, string>
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

/** The summary's verdict per scenario (✓ or ✗). */
function readVerdicts(output: string): Map<string, boolean> {
  const summary = output.slice(output.indexOf('=== SUITE SUMMARY ==='));
  return new Map([...summary.matchAll(/^([✓✗]) (\S+): /gm)].map(([, mark, scenario]) => [scenario!, mark === '✓']));
}

test('no auth scenario is an expected failure', () => {
  for (const [revision, failures] of Object.entries(expectedFailures)) {
    for (const entry of Object.keys(failures))
      assert.ok(!entry.startsWith('auth/'), `${revision}: ${entry} may not be an expected failure`);
  }
});

test(
  'the client passes what MCP 2026-07-28 and 2025-11-25 require, and the 2025-03-26 back-compatibility scenarios',
  { timeout: 600_000 },
  async (t) => {
    const node = await node22();
    const work = await mkdtemp(join(tmpdir(), 'mcp-conformance-'));
    // The suite's results (every check, the client's output) stay for a look when the test fails.
    let passed = false;
    t.after(() => (passed ? rm(work, { recursive: true, force: true }) : t.diagnostic(`the suite's results are in ${work}`)));
    // The client command finds this Node first on PATH, so the suite runs it under Node 22 too.
    const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}` };
    // The suite starts the client some 60 times, mostly at once: bundled into one file it starts
    // with a fifth of the CPU time that loading its TypeScript through tsx takes.
    const bundle = join(work, 'conformance-client.mjs');
    await build({
      entryPoints: [join(ROOT, 'client', 'conformance-client.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'warning',
      // Bundled CommonJS dependencies still call require().
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });

    const results = await Promise.all(
      RUNS.map(async ({ revision, args }) => {
        const expected = expectedFailures[revision] ?? {};
        const baseline = join(work, `expected-failures-${revision}.yaml`);
        await writeFile(baseline, stringify({ client: Object.keys(expected) }));
        const required = args[0] === '--requirements' ? await requiredClientScenarios(node, revision) : [];
        const command = [SUITE_CLI, 'client', '--command', `node ${bundle}`, ...args, '--timeout', CLIENT_TIMEOUT_MS];
        const outcome = await run(node, [...command, '--expected-failures', baseline, '-o', join(work, revision)], {
          cwd: ROOT,
          env,
          timeout: 540_000,
          maxBuffer: 64 << 20,
        }).then(
          (r) => ({ status: 0, output: r.stdout + r.stderr }),
          (err: { code?: number; stdout?: string; stderr?: string }) => ({
            status: err.code ?? -1,
            output: `${err.stdout ?? ''}${err.stderr ?? ''}`,
          }),
        );
        return { revision, expected, required, ...outcome };
      }),
    );

    for (const { revision, expected, required, status, output } of results) {
      const verdicts = readVerdicts(output);
      // A requirement set also runs scenarios it does not score (extensions); the back-compatibility suite scores all.
      const scored = required.length ? required : [...verdicts.keys()];
      const passing = scored.filter((scenario) => verdicts.get(scenario)).length;
      t.diagnostic(`${revision}: ${passing} of ${scored.length} scored scenarios pass`);
      assert.ok(
        scored.some((s) => s.startsWith('auth/')),
        `${revision}: no auth scenario ran:\n${output.slice(-4000)}`,
      );
      for (const scenario of scored) {
        assert.ok(verdicts.has(scenario), `${revision}: the suite did not run ${scenario}:\n${output.slice(-4000)}`);
        const listed = Object.keys(expected).some((entry) => entry === scenario || entry.startsWith(`${scenario}:`));
        if (!listed && !verdicts.get(scenario))
          assert.fail(`${revision}: ${scenario} failed:\n${await failureReport(join(work, revision), scenario)}`);
      }
      // The suite's status covers what the summary cannot show: a listed check that now passes (stale).
      assert.equal(
        status,
        0,
        `${revision}: the suite failed (a failure not listed, or a listed one that passes: remove it):\n${output.slice(-6000)}`,
      );
    }
    passed = true;
  },
);

/** The client scenarios a revision requires, as the suite itself lists them. */
async function requiredClientScenarios(node: string, revision: string): Promise<string[]> {
  const { stdout } = await run(node, [SUITE_CLI, 'list', '--requirements', revision, '--client'], { cwd: ROOT });
  const clientSection = stdout.slice(stdout.indexOf('Client scenarios'));
  const scored = clientSection.split(/^Run and reported, but never scored/m)[0] ?? '';
  return [...scored.matchAll(/^\s+- (\S+)$/gm)].map(([, scenario]) => scenario!);
}

/** The failed checks of one scenario and the end of the client's stderr, from the suite's results directory. */
async function failureReport(results: string, scenario: string): Promise<string> {
  const parent = join(results, dirname(scenario));
  const name = (await readdir(parent)).find((entry) => entry.startsWith(`${basename(scenario)}-2`));
  if (!name) return `no results in ${parent}`;
  const checks = JSON.parse(await readFile(join(parent, name, 'checks.json'), 'utf8')) as Record<string, unknown>[];
  const failed = checks
    .filter((check) => check.status === 'FAILURE')
    .map((check) => `  ${String(check.id)}: ${String(check.description)} ${String(check.errorMessage ?? '')}`);
  const stderr = await readFile(join(parent, name, 'stderr.txt'), 'utf8').catch(() => '');
  return `${failed.join('\n')}\nclient stderr:\n${stderr.slice(-3000)}`;
}
