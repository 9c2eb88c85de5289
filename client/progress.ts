/**
 * Progress lines for the person at the console: what the client is doing, on stderr, so that
 * stdout carries only results. Callers pass facts (URLs, client ids, scopes), never tokens.
 */
import type { Writable } from 'node:stream';

export type Progress = (message: string) => void;

export function progressTo(stream: Writable): Progress {
  return (message) => {
    stream.write(`${message}\n`);
  };
}

export const silent: Progress = () => {};

/**
 * Libraries log with `console.log`/`console.debug` (the MCP SDK does, for a server without
 * tools); those would land in stdout between the results a script parses. Send them to stderr.
 */
export function keepStdoutForResults(): void {
  console.log = console.info = console.debug = (...args: unknown[]) => console.error(...args);
}
