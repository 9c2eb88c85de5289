/**
 * Where the local stack keeps what must survive a restart: the built-in authorization server's
 * embedded database and the secrets that its data depends on (the cookie key of sign-ins in
 * progress, the key that encrypts the signing keys), in `secrets.json` (mode 0600). The folder is
 * private to its user (0700) and held by one running stack at a time.
 *
 * `npm start` uses `.data/<stack>/` and reuses it; `--fresh` empties it first. The demo and the
 * tests use a new temporary folder, removed when they stop.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { Secrets } from '../model.ts';

/** The secrets kept with the data; the others are made anew at each start. */
export type KeptSecrets = Pick<Secrets, 'cookieSecret' | 'keyEncryptionKey'>;
const KEPT: (keyof KeptSecrets)[] = ['cookieSecret', 'keyEncryptionKey'];

export interface DataFolder {
  /** Absolute path. */
  path: string;
  /** As to show the user: relative to the working directory when inside it. */
  shown: string;
  /** True when nothing was kept from an earlier start. */
  created: boolean;
  /** The authorization server's DATABASE_URL: its embedded database in this folder. */
  databaseUrl: string;
  secrets: KeptSecrets;
  /** Releases the folder (and deletes it, when temporary). */
  close(): Promise<void>;
}

export class DataFolderInUseError extends Error {
  override name = 'DataFolderInUseError';
  readonly code = 'ERR_DATA_FOLDER_IN_USE';
}

/** `.data/<stack>` under `root`. */
export function stackDataFolder(stack: string, root = process.cwd()): string {
  return join(root, '.data', stack);
}

function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const pidFile = (path: string) => join(path, 'stack.pid');

/** The running stack that holds the folder, if any (not a stack that was killed). */
async function holder(path: string): Promise<number | undefined> {
  const pid = Number(await readFile(pidFile(path), 'utf8').catch(() => ''));
  return pid && alive(pid) ? pid : undefined;
}

function inUse(path: string, pid: number): DataFolderInUseError {
  return new DataFolderInUseError(
    `The data folder ${path} is in use by another local stack (process ${pid}). Stop that one first, or run another stack with --stack.`,
  );
}

/** One running stack per folder: two embedded databases on one folder would corrupt it. */
async function lock(path: string): Promise<() => Promise<void>> {
  for (;;) {
    try {
      const handle = await open(pidFile(path), 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(pidFile(path), { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = await holder(path);
      if (pid) throw inUse(path, pid);
      await rm(pidFile(path), { force: true });
    }
  }
}

async function keptSecrets(path: string): Promise<KeptSecrets> {
  const file = join(path, 'secrets.json');
  let kept: Partial<KeptSecrets> = {};
  try {
    kept = JSON.parse(await readFile(file, 'utf8')) as Partial<KeptSecrets>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`${file} cannot be read (${(error as Error).message}); remove the data folder or start with --fresh`, {
        cause: error,
      });
    }
  }
  const secrets = Object.fromEntries(KEPT.map((k) => [k, typeof kept[k] === 'string' ? kept[k] : randomSecret()])) as KeptSecrets;
  if (KEPT.some((k) => kept[k] !== secrets[k])) await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

/** Opens (creating when needed) the data folder at `path`; `fresh` empties it first. */
export async function openDataFolder(path: string, options: { fresh?: boolean; temporary?: boolean } = {}): Promise<DataFolder> {
  const absolute = resolve(path);
  if (options.fresh) {
    const pid = await holder(absolute);
    if (pid) throw inUse(absolute, pid);
    await rm(absolute, { recursive: true, force: true });
  }
  const database = join(absolute, 'authorization-server');
  const created = !existsSync(join(absolute, 'secrets.json'));
  await mkdir(absolute, { recursive: true, mode: 0o700 });
  const unlock = await lock(absolute);
  try {
    const secrets = await keptSecrets(absolute);
    const inside = relative(process.cwd(), absolute);
    return {
      path: absolute,
      shown: inside && !inside.startsWith('..') ? inside : absolute,
      created,
      databaseUrl: `file:${database}`,
      secrets,
      async close() {
        await unlock();
        if (options.temporary) await rm(absolute, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await unlock();
    throw error;
  }
}

/** A new folder under the system's temporary directory, deleted at close. */
export async function temporaryDataFolder(): Promise<DataFolder> {
  return openDataFolder(await mkdtemp(join(tmpdir(), 'mcp-secured-api-data-')), { temporary: true });
}
