// Bundles for `serve`: the same packaging as for the cluster (packageFunctions), and the
// service's source directories to watch for changes.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { runtimeFamily } from '../model/handler.js';
import type { FunctionModel, ServiceModel } from '../model/types.js';
import { packageFunctions } from '../packaging/index.js';

export interface BuiltFunction {
  functionKey: string;
  /** Absolute path of the bundled module. */
  moduleFile: string;
  /** The artifact's checksum: unchanged → the running process stays. */
  checksum: string;
}

// Not sources: dependencies, build output, VCS and editor state.
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.serverless', 'dist', 'coverage']);
const SOURCE_FILE = /\.(?:[cm]?[jt]sx?|json)$/;
// A service directory holds a few dozen source directories; the bound keeps a misplaced
// serverless.yml (e.g. in $HOME) from walking a whole disk.
const MAX_DIRECTORIES = 500;

/** Directories under the service that hold source files (for fs.watch, which is not recursive on every platform). */
export async function sourceDirectories(servicePath: string): Promise<string[]> {
  const found: string[] = [];
  const queue = [servicePath];
  while (queue.length > 0 && found.length < MAX_DIRECTORIES) {
    const directory = queue.shift() as string;
    found.push(directory);
    for (const entry of await readdir(directory, { withFileTypes: true })) {
      if (
        entry.isDirectory() &&
        !entry.name.startsWith('.') &&
        !SKIPPED_DIRECTORIES.has(entry.name)
      ) {
        queue.push(path.join(directory, entry.name));
      }
    }
  }
  return found;
}

export function isSourceFile(file: string): boolean {
  return SOURCE_FILE.test(file) && !file.endsWith('.d.ts');
}

/** Why `serve` cannot run this function (a prebuilt image, a non-Node runtime), or undefined. */
export function notServed(fn: FunctionModel): string | undefined {
  if (!fn.handler) return `runs a prebuilt image (${fn.image ?? 'image:'})`;
  const family = runtimeFamily(fn.runtime);
  if (family !== 'nodejs') return `uses the ${fn.runtime} runtime`;
  return undefined;
}

/** Packages the functions as for the cluster; each bundle is written to `<buildDir>/<function key>/`. */
export async function buildFunctions(
  model: ServiceModel,
  functions: FunctionModel[],
  buildDir: string,
): Promise<Map<string, BuiltFunction>> {
  const servable = functions.filter((fn) => notServed(fn) === undefined);
  const artifacts = await packageFunctions(model, servable, buildDir);
  const built = new Map<string, BuiltFunction>();
  for (const [functionKey, artifact] of artifacts) {
    const directory = artifact.bundleDir ?? path.join(buildDir, functionKey);
    const moduleFile = path.join(directory, artifact.moduleFileName);
    built.set(functionKey, { functionKey, moduleFile, checksum: artifact.checksum });
  }
  return built;
}
