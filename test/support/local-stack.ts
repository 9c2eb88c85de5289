/**
 * The local stack for whole-system tests: free ports, the dev stack's configuration (with
 * overrides), and the parts' output kept in memory and shown only when a test fails.
 */
import { readStackFile } from '../../infra/local/stack-file.ts';
import { PartFailedError } from '../../infra/local/part.ts';
import { startLocalStack, type LocalStack, type LocalStackOptions, type PartName } from '../../infra/local/stack.ts';
import { parseStackConfig, type StackConfigInput } from '../../infra/model.ts';

const HEAP_PROBE = new URL('./heap-probe.mjs', import.meta.url).href;
/** The authorization server without V8's optimising WebAssembly tier (see baseline-wasm.mjs). */
const BASELINE_WASM = `--import=${new URL('./baseline-wasm.mjs', import.meta.url).href}`;
const HEAP_REPORT = /^heap-probe (\d+)$/;
const PORT_ATTEMPTS = 3;

export interface TestStack extends LocalStack {
  /** The last lines each part printed, for failure messages. */
  output(): string;
  /** The live heap (after a full collection) of each part started with `heapProbe`, in KiB. */
  liveHeapKiB(): Promise<Partial<Record<PartName, number>>>;
}

export interface TestStackOptions extends Pick<LocalStackOptions, 'env' | 'interpose' | 'dataDir' | 'ports' | 'databaseUrl'> {
  /** Parts that report their live heap when asked (heap-probe.mjs): memory tests that must not see garbage as growth. */
  heapProbe?: PartName[];
}

export async function startTestStack(overrides: Partial<StackConfigInput> = {}, options: TestStackOptions = {}): Promise<TestStack> {
  const base = await readStackFile('dev');
  const config = parseStackConfig({ ...base, ...overrides, authorizationServer: 'builtin' });
  const { heapProbe = [], ...stackOptions } = options;
  const env = { ...stackOptions.env };
  const addNodeOptions = (part: PartName, options: string) => {
    env[part] = { ...env[part], NODE_OPTIONS: [env[part]?.NODE_OPTIONS, options].filter(Boolean).join(' ') };
  };
  addNodeOptions('authorization-server', BASELINE_WASM);
  for (const part of heapProbe) addNodeOptions(part, `--expose-gc --import=${HEAP_PROBE}`);
  const lines: string[] = [];
  const heapReports = new Map<string, (bytes: number) => void>();
  // A test stack is thrown away: unless a test keeps its data folder (to restart on it), the
  // authorization server's database lives in memory, which spares about 1 s of CPU per stack
  // (mostly the kernel's, writing the embedded database to disk).
  const databaseUrl = stackOptions.databaseUrl ?? (stackOptions.dataDir ? undefined : 'memory://');
  const start = () =>
    startLocalStack({
      ...stackOptions,
      databaseUrl,
      env,
      config,
      basePort: 0,
      log: (part, line) => {
        const bytes = HEAP_REPORT.exec(line)?.[1];
        if (bytes) return heapReports.get(part)?.(Number(bytes));
        lines.push(`[${part}] ${line}`);
        if (lines.length > 400) lines.shift();
      },
    });
  let stack: LocalStack;
  for (let attempt = 1; ; attempt++) {
    try {
      stack = await start();
      break;
    } catch (error) {
      // Free ports are found by binding and releasing them; until a part binds one, another process
      // (or an outgoing connection's source port) may take it. New ports then, unless they were given
      // (or something was interposed: the test made it for the first start).
      const taken = error instanceof PartFailedError && /a port it needs is in use/.test(error.message);
      if (!taken || stackOptions.ports || stackOptions.interpose || attempt === PORT_ATTEMPTS) throw error;
    }
  }
  const liveHeapKiB = async () => {
    const reports = heapProbe.map(async (part) => {
      const reported = new Promise<number>((resolve, reject) => {
        heapReports.set(part, resolve);
        setTimeout(() => reject(new Error(`${part} did not report its heap within 10 s`)), 10_000).unref();
      });
      process.kill(stack.pids()[part]!, 'SIGWINCH');
      return [part, Math.round((await reported) / 1024)] as const;
    });
    return Object.fromEntries(await Promise.all(reports));
  };
  return Object.assign(stack, { output: () => lines.join('\n'), liveHeapKiB });
}
