/**
 * Where the client keeps what a sign-in produced (its registration and tokens) for one MCP
 * server: in memory (the default), or in a file that the next run reuses (`--token-store`).
 *
 * The file holds refresh tokens, so it is private to its owner: written with mode 0600 through
 * a temporary file and a rename (never half-written), refused when others may read it (as ssh
 * refuses a private key), and its content never appears in a message.
 */
import { randomBytes } from 'node:crypto';
import { chmod, lstat, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { StoredOAuthClientInformation, StoredOAuthTokens } from '@modelcontextprotocol/client';

export interface StoredSession {
  client?: StoredOAuthClientInformation;
  tokens?: StoredOAuthTokens;
  /** When the access token expires (ms since the epoch). */
  expiresAt?: number;
}

export interface TokenStore {
  /** Where it keeps its data, for messages. */
  readonly description: string;
  load(): Promise<StoredSession | undefined>;
  save(session: StoredSession): Promise<void>;
  /** Forgets the session; resolves with whether there was one. */
  clear(): Promise<boolean>;
}

/** A token store problem the user must fix; `code` is machine-readable. */
export class TokenStoreError extends Error {
  override name = 'TokenStoreError';
  readonly code:
    'ERR_TOKEN_STORE_NOT_A_FILE' | 'ERR_TOKEN_STORE_READABLE_BY_OTHERS' | 'ERR_TOKEN_STORE_UNREADABLE' | 'ERR_TOKEN_STORE_MALFORMED';
  constructor(code: TokenStoreError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export function memoryTokenStore(): TokenStore {
  let session: StoredSession | undefined;
  return {
    description: 'memory',
    load: async () => session,
    save: async (next) => void (session = next),
    clear: async () => {
      const had = session !== undefined;
      session = undefined;
      return had;
    },
  };
}

const sessionSchema = z.object({
  client: z.looseObject({ client_id: z.string() }).optional(),
  tokens: z.looseObject({ access_token: z.string(), token_type: z.string() }).optional(),
  expiresAt: z.number().optional(),
});
const fileSchema = z.object({ version: z.literal(1), servers: z.record(z.string(), sessionSchema) });
type StoreFile = z.infer<typeof fileSchema>;

/** A file holding the sessions of several servers, each under its MCP server URL (`key`). */
export function fileTokenStore(path: string, key: string): TokenStore {
  const read = async (): Promise<StoreFile> => {
    let stats;
    try {
      stats = await lstat(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, servers: {} };
      throw new TokenStoreError(
        'ERR_TOKEN_STORE_UNREADABLE',
        `Cannot read the token store ${path} (${(err as NodeJS.ErrnoException).code}).`,
      );
    }
    if (!stats.isFile())
      throw new TokenStoreError('ERR_TOKEN_STORE_NOT_A_FILE', `The token store ${path} is not a regular file; give the path of a file.`);
    if (process.platform !== 'win32' && (stats.mode & 0o077) !== 0) {
      throw new TokenStoreError(
        'ERR_TOKEN_STORE_READABLE_BY_OTHERS',
        `The token store ${path} may be read by other users (mode ${(stats.mode & 0o777).toString(8)}); it holds tokens. ` +
          `Run chmod 600 ${path}, or delete it to sign in again.`,
      );
    }
    let parsed;
    try {
      parsed = fileSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      throw new TokenStoreError(
        'ERR_TOKEN_STORE_MALFORMED',
        `The token store ${path} was not written by this client; delete it or choose another file.`,
      );
    }
    return parsed.data;
  };

  const write = async (data: StoreFile): Promise<void> => {
    if (Object.keys(data.servers).length === 0) {
      await rm(path, { force: true });
      return;
    }
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      // The mode given to writeFile is masked by the umask; set it exactly.
      await chmod(temporary, 0o600);
      await rename(temporary, path);
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
  };

  return {
    description: path,
    load: async () => (await read()).servers[key] as StoredSession | undefined,
    save: async (session) => {
      const data = await read();
      data.servers[key] = session;
      await write(data);
    },
    clear: async () => {
      const data = await read();
      if (!(key in data.servers)) return false;
      delete data.servers[key];
      await write(data);
      return true;
    },
  };
}
