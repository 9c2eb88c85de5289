/**
 * The console client as a user runs it (`npm run client -- --authorize print …`), as a child
 * process: it prints the authorization URL for a person to open, then waits on its loopback
 * callback for the browser to come back.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../client/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ConsoleClientRun {
  /** The URL the client prints for the person to open. */
  authorizationUrl: Promise<string>;
  /** Exit status and output, once the client has finished. */
  finished: Promise<{ status: number | null; stdout: string; stderr: string }>;
  stop(): void;
}

export function startConsoleClient(args: string[], timeoutMs = 60_000): ConsoleClientRun {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--authorize', 'print', '--callback-port', '0', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill(), timeoutMs);
  const finished = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
  const authorizationUrl = new Promise<string>((resolve, reject) => {
    const look = () => {
      const url = /Sign in[^\n]* at:\s+(https?:\/\/\S+)/.exec(stderr)?.[1];
      if (url) {
        child.stderr.off('data', look);
        resolve(url);
      }
    };
    child.stderr.on('data', look);
    void finished.then(({ status }) =>
      reject(new Error(`The console client exited (${status}) before printing a sign-in URL:\n${stderr}`)),
    );
  });
  return { authorizationUrl, finished, stop: () => child.kill() };
}
