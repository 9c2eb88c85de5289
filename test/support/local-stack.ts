/**
 * The local stack for whole-system tests: free ports, the dev stack's configuration (with
 * overrides), and the parts' output kept in memory and shown only when a test fails.
 */
import { readStackFile } from '../../infra/local/stack-file.ts';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../infra/local/stack.ts';
import { parseStackConfig, type StackConfigInput } from '../../infra/model.ts';

export interface TestStack extends LocalStack {
  /** The last lines each part printed, for failure messages. */
  output(): string;
}

export async function startTestStack(
  overrides: Partial<StackConfigInput> = {},
  options: Pick<LocalStackOptions, 'env' | 'interpose' | 'dataDir' | 'ports' | 'databaseUrl'> = {},
): Promise<TestStack> {
  const base = await readStackFile('dev');
  const config = parseStackConfig({ ...base, ...overrides, authorizationServer: 'builtin' });
  const lines: string[] = [];
  const stack = await startLocalStack({
    ...options,
    config,
    basePort: 0,
    log: (part, line) => {
      lines.push(`[${part}] ${line}`);
      if (lines.length > 400) lines.shift();
    },
  });
  return Object.assign(stack, { output: () => lines.join('\n') });
}
