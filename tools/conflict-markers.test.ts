import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./conflict-markers.js', import.meta.url));

/** Runs the check in a new repository holding `files` (all added to the index). */
function check(files: Record<string, string | Buffer>) {
  const dir = mkdtempSync(join(tmpdir(), 'conflict-markers-'));
  try {
    execFileSync('git', ['init', '-q'], { cwd: dir });
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    execFileSync('git', ['add', '.'], { cwd: dir });
    return spawnSync(process.execPath, [SCRIPT], { cwd: dir, encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a README left with conflict markers fails the check, naming the file and lines', () => {
  const result = check({
    'README.md': '# Title\n\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> main\n',
    'ok.ts': 'export const a = 1;\n',
  });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /README\.md:3: <<<<<<< HEAD/);
  assert.match(result.stderr, /README\.md:7: >>>>>>> main/);
  assert.doesNotMatch(result.stderr, /ok\.ts/);
});

test('clean files pass, a Markdown heading underlined with "=" and binary files included', () => {
  const result = check({
    'README.md': 'Title\n=======\n\nText with <<<<<<< inside a line.\n',
    'image.bin': Buffer.from([0, 1, 2, ...Buffer.from('\n<<<<<<< HEAD\n')]),
  });
  assert.equal(result.status, 0, result.stderr);
});
