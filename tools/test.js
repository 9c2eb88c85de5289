// `npm test`: the type check, the unit tests and the whole-system tests side by side. The
// whole-system tests still run one at a time (each starts a stack), but they spend much of their
// time waiting on their stacks, and the type check and the unit tests use that time; one after
// the other they took about twice as long. The whole-system tests' output is shown as it comes;
// the type check's and the unit tests' each in one piece when they end, so that lines never mix.
// Exits non-zero when any of the three fails.
import { spawn } from 'node:child_process';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const runs = [
  { name: 'type check', command: npm, args: ['run', '-s', 'typecheck'], live: false },
  { name: 'unit tests', command: npm, args: ['run', '-s', 'test:unit'], live: false },
  { name: 'whole-system tests', command: npm, args: ['run', '-s', 'test:system'], live: true },
];

const started = Date.now();
const seconds = (since) => `${Math.round((Date.now() - since) / 1000)} s`;

const results = await Promise.all(
  runs.map(
    (run) =>
      new Promise((resolve) => {
        const begun = Date.now();
        const child = spawn(run.command, run.args, { stdio: ['ignore', 'pipe', 'pipe'] });
        const kept = [];
        for (const stream of [child.stdout, child.stderr]) {
          stream.on('data', (chunk) => {
            kept.push(chunk);
            if (run.live) process.stdout.write(chunk);
          });
        }
        child.on('close', (code, signal) => {
          const ok = code === 0;
          const output = Buffer.concat(kept).toString();
          if (!run.live) process.stdout.write(`\n── ${run.name} ──\n${output}`);
          process.stdout.write(`\n── ${run.name}: ${ok ? 'passed' : `failed (${signal ?? `exit ${code}`})`} in ${seconds(begun)} ──\n`);
          resolve({ ...run, ok, output });
        });
      }),
  ),
);

const failed = results.filter((r) => !r.ok).map((r) => r.name);
process.stdout.write(`\nnpm test: ${failed.length ? `${failed.join(', ')} failed` : 'all passed'} in ${seconds(started)}\n`);
// The two test runs' counts together, as the last line.
const count = (what) =>
  results.reduce((sum, r) => sum + Number([...r.output.matchAll(new RegExp(`^# ${what} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? 0), 0);
process.stdout.write(`tests: ${count('pass')} passed, ${count('fail') + count('cancelled')} failed\n`);
process.exit(failed.length ? 1 : 0);
