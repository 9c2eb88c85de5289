/**
 * Reads a stack's configuration file (`Pulumi.<stack>.yaml`) without the Pulumi CLI, so the local
 * stack runs from exactly the configuration `pulumi up` deploys.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { StackConfigError, parseStackConfig, PROJECT, type StackConfig } from '../model.ts';

/**
 * The local stack always runs the built-in authorization server (Curity needs a licence and
 * Docker), so a stack configured for Curity is read as if it said `builtin`.
 */
export async function readStackFile(stack: string, directory = process.cwd()): Promise<StackConfig> {
  const file = join(directory, `Pulumi.${stack}.yaml`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(`No configuration for stack "${stack}": ${file} does not exist. Create it (see Pulumi.dev.yaml) or pass --stack dev.`);
  }
  const doc = (parse(text) ?? {}) as { config?: Record<string, unknown> };
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    // Other namespaces (aws:, docker:, …) belong to providers, not to the model.
    if (!key.startsWith(`${PROJECT}:`)) continue;
    // Pulumi stores encrypted values as {secure: …}; the local stack cannot decrypt them.
    if (value && typeof value === 'object' && 'secure' in value) continue;
    raw[key] = value;
  }
  raw[`${PROJECT}:authorizationServer`] = 'builtin';
  try {
    return parseStackConfig(raw);
  } catch (err) {
    if (err instanceof StackConfigError) err.message = `${file}: ${err.message}`;
    throw err;
  }
}
