import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { isRunning, npmLaunchers, parentOf } from './launchers.ts';

describe('launchers', () => {
  it('reads a process’s parent, and nothing for a process that does not exist', () => {
    assert.equal(parentOf(process.pid), process.ppid);
    assert.equal(parentOf(2 ** 22 + 12_345), undefined);
    assert.equal(isRunning(process.pid), true);
  });

  it('names npm and its shell only when npm ran the script', () => {
    assert.deepEqual(npmLaunchers({}, process.pid), []);
    assert.deepEqual(npmLaunchers({ npm_lifecycle_event: 'start' }, process.pid), [process.pid, process.ppid]);
  });

  it('stops a script whose npm was killed, and not before', async () => {
    // npm → sh → the script, as npm runs scripts; here a stand-in for npm that is killed alone.
    const script = [
      `import { npmLaunchers, watchLaunchers } from ${JSON.stringify(new URL('./launchers.ts', import.meta.url).href)};`,
      `const launchers = npmLaunchers();`,
      `console.log('watching ' + launchers.join(' '));`,
      `watchLaunchers(launchers, (pid) => { console.log('gone ' + pid); process.exit(0); }, 100);`,
      `setInterval(() => {}, 60_000);`,
    ].join('\n');
    const npm = spawn(
      process.execPath,
      [
        '-e',
        `require('node:child_process').spawn('sh', ['-c', process.argv[1]], { stdio: 'inherit' }); setInterval(() => {}, 60_000);`,
        `"${process.execPath}" --import tsx --input-type=module -e '${script.replace(/'/g, `'\\''`)}'`,
      ],
      // A group of its own, so that a failing test stops the shell and the script too.
      { env: { ...process.env, npm_lifecycle_event: 'start' }, stdio: ['ignore', 'pipe', 'inherit'], detached: true },
    );
    let output = '';
    npm.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const closed = once(npm.stdout, 'close');
    try {
      const deadline = Date.now() + 20_000;
      while (!output.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const [shell, launcher] = output.trim().replace('watching ', '').split(' ').map(Number);
      assert.equal(launcher, npm.pid, `watches npm: ${output}`);
      assert.equal(parentOf(shell!), npm.pid, 'and the shell npm started');
      await new Promise((r) => setTimeout(r, 500));
      assert.doesNotMatch(output, /gone/, 'nothing happens while npm runs');

      npm.kill('SIGKILL');
      // The script wrote into the same pipe: it closes once the script has exited.
      await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error(`still running: ${output}`)), 10_000))]);
      assert.match(output, new RegExp(`gone ${npm.pid}`));
    } finally {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // Every process of the group has ended.
      }
    }
  });
});
