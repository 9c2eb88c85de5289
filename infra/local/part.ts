/**
 * One part of the local stack: a Node process started from this repository, watched until its
 * health check answers, its output prefixed with its name, stopped with SIGTERM (then SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface PartSpec {
  name: string;
  /** Arguments to `node` (the script and its flags). */
  args: string[];
  env: Record<string, string>;
  /** Answers 200 once the part is ready. */
  healthUrl: string;
  /** Ports the part listens on, named for the message when one is in use. */
  ports: Record<string, number>;
}

export type LogSink = (part: string, line: string) => void;

export class PartFailedError extends Error {
  override name = 'PartFailedError';
  readonly code = 'ERR_PART_FAILED';
  constructor(
    readonly part: string,
    message: string,
  ) {
    super(`${part}: ${message}`);
  }
}

const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const RECENT_LINES = 20;

export class Part {
  private child: ChildProcess | undefined;
  private recent: string[] = [];
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly spec: PartSpec,
    private readonly log: LogSink,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and resolves when its health check answers 200. */
  async start(): Promise<void> {
    if (this.running) return;
    this.recent = [];
    const child = spawn(process.execPath, ['--import', 'tsx', ...this.spec.args], {
      cwd: process.cwd(),
      env: { ...inheritedEnv(), ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.recent.push(line);
        if (this.recent.length > RECENT_LINES) this.recent.shift();
        this.log(this.name, line);
      });
    }
    let exitedEarly: ((reason: Error) => void) | undefined;
    const earlyExit = new Promise<never>((_, reject) => (exitedEarly = reject));
    earlyExit.catch(() => {});
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        exitedEarly?.(new PartFailedError(this.name, this.explainExit(code, signal)));
        resolve();
      });
    });
    try {
      await Promise.race([this.waitHealthy(), earlyExit]);
    } catch (err) {
      await this.stop();
      throw err;
    } finally {
      exitedEarly = undefined;
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  private async waitHealthy(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    // Stops polling once the process is gone (its exit is reported by start()).
    while (Date.now() < deadline && this.running) {
      try {
        const res = await fetch(this.spec.healthUrl, { signal: AbortSignal.timeout(1_000) });
        await res.body?.cancel();
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new PartFailedError(this.name, `did not answer ${this.spec.healthUrl} within ${START_TIMEOUT_MS / 1000} s.${this.tail()}`);
  }

  private explainExit(code: number | null, signal: NodeJS.Signals | null): string {
    const output = this.recent.join('\n');
    if (/EADDRINUSE|already in use/i.test(output)) {
      const ports = Object.entries(this.spec.ports)
        .map(([what, port]) => `${port} (${what})`)
        .join(', ');
      return `a port it needs is in use: ${ports}. Stop what uses it, or choose other ports with --base-port <port> or LOCAL_BASE_PORT.`;
    }
    return `exited during start (${signal ?? `code ${code}`}).${this.tail()}`;
  }

  private tail(): string {
    return this.recent.length ? `\nLast output:\n  ${this.recent.join('\n  ')}` : '';
  }
}

/** Only what a Node process needs from our environment; never our own secrets or tokens. */
function inheritedEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'TEMP', 'TMP', 'LANG', 'TZ', 'SystemRoot', 'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'];
  const env: Record<string, string> = {};
  for (const key of keep) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}
