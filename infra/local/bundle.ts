/**
 * The services as the local stack runs them: each entry point bundled by esbuild into one
 * JavaScript file that plain Node runs, with this repository's TypeScript inside and every other
 * package left to Node to load from node_modules. Through tsx, a service spent about 0.7 s of CPU
 * at each start loading its modules through tsx's hooks; bundled, about 0.2 s (the whole-system
 * tests start many stacks). `import.meta.url` keeps naming each source file, so what a service
 * reads beside its code (migrations, the stylesheet) is found as before. The deployments do not
 * change: their images run the TypeScript through tsx.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, transform, type BuildOptions, type Plugin } from 'esbuild';

/** The repository's root: bundles live under it, so that Node finds the packages they leave out. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ROOT = REPOSITORY_ROOT;
/** Inside the repository, so that Node finds the packages the bundles leave out in its node_modules. */
const OUT_DIR = join(ROOT, '.cache', 'local-stack');
const WORKSPACE_SCOPE = '@mcp-secured-api/';

/** This repository's workspaces are bundled; node_modules' packages and Node's own modules are not. */
const packagesStayExternal: Plugin = {
  name: 'packages-stay-external',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, ({ path }) => {
      if (path.startsWith(WORKSPACE_SCOPE)) return undefined;
      return { path, external: true };
    });
  },
};

/**
 * Each TypeScript file keeps its own `import.meta.url` (a bundle has one for all): esbuild's own
 * `define` replaces the expression (never text inside a string), with a source map to the file.
 */
const ownImportMetaUrl: Plugin = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      const { code } = await transform(await readFile(path, 'utf8'), {
        loader: 'ts',
        format: 'esm',
        define: { 'import.meta.url': JSON.stringify(pathToFileURL(path).href) },
        sourcemap: 'inline',
        sourcefile: path,
      });
      return { contents: code, loader: 'js' };
    });
  },
};

/** How every bundle is made (the test runner's too): ESM for Node, packages left out, inline source maps. */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'inline',
  sourceRoot: ROOT,
  logLevel: 'silent',
  plugins: [packagesStayExternal, ownImportMetaUrl],
} satisfies BuildOptions;

/**
 * Bundles `entry` (a path from the repository's root, e.g. services/mcp-server/main.ts) and gives
 * the bundle's path. Bundles are named by their content, so stacks starting at once share them;
 * each writer writes its own partial file first (stacks of one process start at once too), and a
 * rename, atomic, puts it in place.
 */
export async function bundleService(entry: string, outDir = OUT_DIR): Promise<string> {
  const result = await build({ ...BUNDLE_OPTIONS, entryPoints: [join(ROOT, entry)], write: false });
  const code = result.outputFiles[0]!.contents;
  const name = `${entry.replace(/\.ts$/, '').replaceAll('/', '-')}-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`;
  const file = join(outDir, name);
  if (!(await exists(file))) {
    await mkdir(outDir, { recursive: true });
    const partial = `${file}.${randomUUID()}.partial`;
    await writeFile(partial, code);
    await rename(partial, file);
  }
  return file;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
