/**
 * `npm test`: the type check, the unit tests and the whole-system tests side by side; `npm run
 * test:unit` and `npm run test:system` run one of them. The whole-system tests (test/e2e,
 * test/resilience, test/browser) start a stack each and spend much of their time waiting on it,
 * which the type check and the unit tests use; one after the other they took about twice as long.
 *
 * Each test file runs bundled by esbuild as the local stack's services are (infra/local/bundle.ts),
 * not through tsx: loading a test's modules through tsx's hooks cost up to a second of CPU per
 * file. The bundles keep each source file's own import.meta.url, so fixtures are found; they
 * carry source maps for tools. `node --import tsx --test <file>` runs one file as before.
 *
 * The whole-system tests' output is shown as it comes; the others' each in one piece when they
 * end, so that lines never mix. The last line counts every test. Exits non-zero on any failure.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS, REPOSITORY_ROOT } from '../infra/local/bundle.ts';

const TEST_DIRS = ['infra', 'services', 'client', 'tools', 'test'];
const SYSTEM = /^test\/(e2e|resilience|browser)\//;
const BUNDLES = join(REPOSITORY_ROOT, '.cache', 'test-bundles');
/**
 * Test processes live for seconds: optimising WebAssembly (the embedded database's, undici's
 * parser) costs them more CPU than it saves, so V8's baseline compiler only. Without
 * --enable-source-maps, which made Node read the source maps of every package it loaded (over a
 * second of CPU for the Pulumi tests): a failure's stack points into the bundle, where each
 * module is marked with its source file, and the hint below says how to run it from TypeScript.
 */
const NODE_FLAGS = ['--liftoff-only'];
/**
 * Two files at a time. Not --test-force-exit: with it the runner loses some files' verdicts and
 * still exits 0 (seen on Node 24; nodejs/node#64833), so a failure could go unreported.
 */
const TEST_FLAGS = ['--test', '--test-concurrency=2'];
/**
 * A run that prints nothing for this long is taken to hang (a test file whose `before` hook failed
 * halfway can leave a server open that its `after` hook cannot close): it is stopped and fails.
 */
const SILENCE_LIMIT_MS = 10 * 60_000;
/** Process groups of the runs under way, stopped with this process. */
const running = new Set<number>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const group of running) stopGroup(group, signal);
    process.exit(130);
  });
}

type RunName = 'typecheck' | 'unit' | 'system';
interface Run {
  name: RunName;
  title: string;
  command: string;
  args: string[];
  live: boolean;
}

const wanted = new Set((process.argv.slice(2) as RunName[]).filter((a) => ['typecheck', 'unit', 'system'].includes(a)));
if (wanted.size === 0) for (const name of ['typecheck', 'unit', 'system'] as const) wanted.add(name);

const started = Date.now();
const seconds = (since: number) => `${Math.round((Date.now() - since) / 1000)} s`;

const files = (await Promise.all(TEST_DIRS.map(testFiles))).flat().sort();
const unit = files.filter((f) => !SYSTEM.test(f));
const system = files.filter((f) => SYSTEM.test(f));
const bundled = await bundleTests([...(wanted.has('unit') ? unit : []), ...(wanted.has('system') ? system : [])]);

const runs: Run[] = [];
if (wanted.has('typecheck')) {
  runs.push({ name: 'typecheck', title: 'type check', command: process.execPath, args: [tsc(), '--noEmit'], live: false });
}
const typeCheck = runs.length ? execute(runs[0]!) : undefined;
await warmEmbeddedDatabase();
if (wanted.has('unit')) {
  const args = [...NODE_FLAGS, ...TEST_FLAGS, ...unit.map((f) => bundled.get(f)!)];
  runs.push({ name: 'unit', title: 'unit tests', command: process.execPath, args, live: !wanted.has('system') });
}
if (wanted.has('system')) {
  // Two at a time: each stack has free ports, a data folder and a database of its own.
  const args = [...NODE_FLAGS, ...TEST_FLAGS, ...system.map((f) => bundled.get(f)!)];
  runs.push({ name: 'system', title: 'whole-system tests', command: process.execPath, args, live: true });
}

const results = await Promise.all(runs.map((run) => (run.name === 'typecheck' ? typeCheck! : execute(run))));
const failed = results.filter((r) => !r.ok).map((r) => r.title);
process.stdout.write(`\nnpm test: ${failed.length ? `${failed.join(', ')} failed` : 'all passed'} in ${seconds(started)}\n`);
if (failed.length) {
  process.stdout.write(
    `Stacks of failing tests point into their bundles (${relative(REPOSITORY_ROOT, BUNDLES)}/); ` +
      'node --import tsx --test <file>.test.ts runs one file from its TypeScript.\n',
  );
}
// The runner's summary: "# pass 511" from the TAP reporter (Node 20's default without a terminal),
// "ℹ pass 511" from the spec reporter (the default from Node 23 on).
const count = (what: string) =>
  results.reduce((sum, r) => sum + Number([...r.output.matchAll(new RegExp(`^(?:#|ℹ) ${what} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? 0), 0);
process.stdout.write(`tests: ${count('pass')} passed, ${count('fail') + count('cancelled')} failed\n`);
process.exit(failed.length ? 1 : 0);

/** The test files under `dir`, as paths from the repository's root. */
async function testFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(REPOSITORY_ROOT, dir), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => relative(REPOSITORY_ROOT, join(e.parentPath, e.name)))
    .filter((f) => !f.split('/').includes('node_modules'));
}

/** Bundles every test file in one esbuild run; maps each file to its bundle. */
async function bundleTests(tests: string[]): Promise<Map<string, string>> {
  await rm(BUNDLES, { recursive: true, force: true });
  await build({
    ...BUNDLE_OPTIONS,
    entryPoints: tests.map((f) => join(REPOSITORY_ROOT, f)),
    outbase: REPOSITORY_ROOT,
    outdir: BUNDLES,
    outExtension: { '.js': '.mjs' },
  });
  return new Map(tests.map((f) => [f, join(BUNDLES, f.replace(/\.ts$/, '.mjs'))]));
}

/**
 * The embedded database makes new databases from a template of an empty cluster, which the first
 * one creates (initdb: seconds of CPU). Made here once, while the type check starts, rather than
 * by every test that starts at once on a fresh install.
 */
async function warmEmbeddedDatabase(): Promise<void> {
  setFlagsFromString('--liftoff-only');
  const { openDatabase } = await import('../services/authorization-server/database.ts');
  await (await openDatabase('memory://')).close();
}

function tsc(): string {
  return join(REPOSITORY_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
}

function execute(run: Run): Promise<{ title: string; ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const begun = Date.now();
    // Its own process group, so that a run that hangs is stopped with the test files it started.
    const child = spawn(run.command, run.args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running.add(child.pid!);
    const kept: Buffer[] = [];
    let heard = Date.now();
    let hung: string[] | undefined;
    const watch = setInterval(() => {
      if (Date.now() - heard < SILENCE_LIMIT_MS) return;
      hung = filesStillRunning(child.pid!);
      stopGroup(child.pid!, 'SIGKILL');
    }, 5_000);
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk: Buffer) => {
        heard = Date.now();
        kept.push(chunk);
        if (run.live) process.stdout.write(chunk);
      });
    }
    child.on('close', (code, signal) => {
      clearInterval(watch);
      running.delete(child.pid!);
      const ok = code === 0;
      const stalled = hung
        ? `\nNothing printed for ${SILENCE_LIMIT_MS / 60_000} minutes, so the run was stopped: ${
            hung.length ? hung.join(', ') : 'a test file'
          } did not end (a server its hooks left open?).\n`
        : '';
      const output = Buffer.concat(kept).toString() + stalled;
      if (!run.live) process.stdout.write(`\n── ${run.title} ──\n${output}`);
      else process.stdout.write(stalled);
      process.stdout.write(`\n── ${run.title}: ${ok ? 'passed' : `failed (${signal ?? `exit ${code}`})`} in ${seconds(begun)} ──\n`);
      resolve({ title: run.title, ok, output });
    });
  });
}

/** The test files whose processes are still running in process group `group`, as source paths. */
function filesStillRunning(group: number): string[] {
  try {
    const lines = execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8' }).split('\n');
    // The runner itself (the group's leader) names every file; each file runs in a process of its own.
    const files = lines
      .map((line) => line.trim().split(/\s+/))
      .filter(([pid, pgid]) => Number(pgid) === group && Number(pid) !== group)
      .flatMap((args) => args.filter((a) => a.startsWith(BUNDLES) && a.endsWith('.test.mjs')));
    return [...new Set(files)].map((f) => relative(BUNDLES, f).replace(/\.mjs$/, '.ts'));
  } catch {
    return [];
  }
}

function stopGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // already gone
  }
}
