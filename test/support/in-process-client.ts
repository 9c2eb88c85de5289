/**
 * The console client run in-process as a person or a script runs it, for the client's tests:
 * its stdout and stderr captured, its stdin typed into line by line, and its clock in the test's
 * hands. Every run checks that no token the test server issued was ever shown.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { run } from '../../client/cli.ts';
import { capture, type Captured } from './capture.ts';
import type { TestServer } from './oauth-mcp-server.ts';

/** Sign in without a person (the test server approves at once), with the callback on any free port. */
export const SIGN_IN = ['--authorize', 'http', '--callback-port', '0'];

export interface ConsoleClient {
  stdout: Captured;
  stderr: Captured;
  /** Types a line at the prompt and waits until stdout shows `until`. */
  command(line: string, until: string): Promise<void>;
  /** Ends the input (as Ctrl+D) and resolves with the exit status. */
  finish(): Promise<number>;
}

/** Starts the client with `argv`; `now` is its clock. */
export function startConsoleClient(server: TestServer, argv: string[], now?: () => number): ConsoleClient {
  const stdin = new PassThrough();
  const stdout = capture();
  const stderr = capture();
  const running = run(argv, { stdin, stdout: stdout.stream, stderr: stderr.stream, env: {}, now });
  return {
    stdout,
    stderr,
    command: async (line, until) => {
      stdin.write(`${line}\n`);
      await stdout.waitFor(until);
    },
    finish: async () => {
      stdin.end();
      const status = await running;
      assertNoToken(server, stdout.text() + stderr.text());
      return status;
    },
  };
}

/** Runs the client once to its end with nothing typed. */
export async function runConsoleClient(server: TestServer, argv: string[], now?: () => number) {
  const client = startConsoleClient(server, argv, now);
  const status = await client.finish();
  return { status, stdout: client.stdout.text(), stderr: client.stderr.text() };
}

export function assertNoToken(server: TestServer, text: string): void {
  for (const token of server.issuedTokens) assert.ok(!text.includes(token), 'a token was shown');
}
