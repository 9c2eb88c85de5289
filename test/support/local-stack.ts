/**
 * The local stack for whole-system tests: free ports, the dev stack's configuration (with
 * overrides), and the parts' output kept in memory and shown only when a test fails.
 */
import { readStackFile } from '../../infra/local/stack-file.ts';
import { startLocalStack, type LocalStack, type LocalStackOptions, type PartName } from '../../infra/local/stack.ts';
import { parseStackConfig, type StackConfigInput } from '../../infra/model.ts';

const HEAP_PROBE = new URL('./heap-probe.mjs', import.meta.url).href;
const HEAP_REPORT = /^heap-probe (\d+)$/;

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
  for (const part of heapProbe) {
    const nodeOptions = [env[part]?.NODE_OPTIONS, `--expose-gc --import=${HEAP_PROBE}`].filter(Boolean).join(' ');
    env[part] = { ...env[part], NODE_OPTIONS: nodeOptions };
  }
  const lines: string[] = [];
  const heapReports = new Map<string, (bytes: number) => void>();
  const stack = await startLocalStack({
    ...stackOptions,
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
