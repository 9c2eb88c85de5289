/**
 * The processes that launched this one, and a watch on them. `npm start` runs the runner through a
 * shell under npm (npm → sh → runner). A supervisor that stops npm alone (a signal to npm's
 * process only, as some editors, process managers and `timeout` send, or a SIGKILL) leaves the
 * runner and every part it started running, holding the ports and the data folder. Watching npm
 * and the shell in between, the runner stops the stack as soon as either has ended.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The parent of process `pid`: from /proc where there is one, else from `ps`; undefined when unknown. */
export function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name (which may hold spaces and parentheses): state, then the parent.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) || undefined;
  } catch {
    try {
      return Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' }).trim()) || undefined;
    } catch {
      return undefined;
    }
  }
}

/** Whether process `pid` still runs (one of another user counts: it exists). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The processes that ran this one as an npm script: its parent (the shell npm runs scripts with)
 * and that shell's parent (npm). Empty when npm did not start it, so that a runner started
 * directly, even in the background of a script that ends, is left alone. Never pid 1, which is
 * init or a container's first process.
 */
export function npmLaunchers(env: NodeJS.ProcessEnv = process.env, parent = process.ppid): number[] {
  if (!env.npm_lifecycle_event) return [];
  return [parent, parentOf(parent)].filter((pid): pid is number => pid !== undefined && pid > 1);
}

/**
 * Calls `onGone` once, with the pid, when one of `launchers` has ended (checked every
 * `intervalMs`). The watch never keeps the process alive.
 */
export function watchLaunchers(launchers: number[], onGone: (pid: number) => void, intervalMs = 1_000): void {
  if (launchers.length === 0) return;
  const timer = setInterval(() => {
    const gone = launchers.find((pid) => !isRunning(pid));
    if (gone === undefined) return;
    clearInterval(timer);
    onGone(gone);
  }, intervalMs);
  timer.unref();
}
