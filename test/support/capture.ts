/** A writable stream that keeps what was written, for asserting on a client's output. */
import { PassThrough } from 'node:stream';

export interface Captured {
  stream: PassThrough;
  text(): string;
  /** Resolves once the output contains `fragment`. */
  waitFor(fragment: string, timeoutMs?: number): Promise<void>;
}

export function capture(): Captured {
  const stream = new PassThrough();
  let text = '';
  const waiters = new Set<() => void>();
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const check of waiters) check();
  });
  return {
    stream,
    text: () => text,
    waitFor: (fragment, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`"${fragment}" did not appear in:\n${text}`));
        }, timeoutMs);
        const check = () => {
          if (!text.includes(fragment)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
  };
}
