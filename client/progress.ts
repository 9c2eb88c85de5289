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
