// Fails (exit 1) when a tracked text file still holds merge-conflict markers, naming each place:
// a merge that left them in the README once passed every other check. Run by `npm run lint`.
// Only the opening and closing markers count: a line of seven "=" is also Markdown's heading rule.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const MARKER = /^(<{7}|>{7}|\|{7})(?: |$)/;

/** The places in `root`'s tracked files that hold a conflict marker, as `file:line: text`. */
export function conflictMarkers(root) {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
  const found = [];
  for (const file of files) {
    let text;
    try {
      text = readFileSync(join(root, file));
    } catch {
      continue; // deleted in the work tree but not yet in the index
    }
    if (text.includes(0)) continue; // binary
    text
      .toString('utf8')
      .split(/\r?\n/)
      .forEach((line, index) => {
        if (MARKER.test(line)) found.push(`${file}:${index + 1}: ${line}`);
      });
  }
  return found;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const found = conflictMarkers(process.cwd());
  if (found.length > 0) {
    console.error(`Merge-conflict markers left in tracked files; resolve them:\n${found.map((f) => `  ${f}`).join('\n')}`);
    process.exit(1);
  }
}
