import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, type Env } from './config.js';
import type { AnyHandler, FunctionModule } from './types.js';

/** Where Kubeless mounts function code; KUBELESS_INSTALL_VOLUME overrides it. */
const KUBELESS_DIR = '/kubeless';

/**
 * The function's module file: the explicit path if given, else Kubeless's
 * `<KUBELESS_INSTALL_VOLUME or /kubeless>/<MOD_NAME>.js` (also `.cjs`/`.mjs`).
 */
export function resolveModulePath(
  explicitPath: string | undefined,
  env: Env,
  cwd = process.cwd(),
): string {
  if (explicitPath) {
    const file = resolve(cwd, explicitPath);
    if (!existsSync(file)) {
      throw new ConfigError(`Function module '${explicitPath}' not found (looked at ${file}).`);
    }
    return file;
  }
  const modName = env.MOD_NAME;
  if (!modName) {
    throw new ConfigError(
      'No function module given: pass <module-file>, or set MOD_NAME to the module file name ' +
        `without .js inside KUBELESS_INSTALL_VOLUME (default ${KUBELESS_DIR}).`,
    );
  }
  const dir = env.KUBELESS_INSTALL_VOLUME || KUBELESS_DIR;
  for (const ext of ['.js', '.cjs', '.mjs']) {
    const file = join(dir, modName + ext);
    if (existsSync(file)) return file;
  }
  throw new ConfigError(
    `MOD_NAME='${modName}' but ${join(dir, modName + '.js')} does not exist; ` +
      'set MOD_NAME to the module file name without .js, or KUBELESS_INSTALL_VOLUME to its directory.',
  );
}

/** Nearest package.json `type` decides how a .js file loads, exactly as Node does. */
function isEsmFile(file: string): boolean {
  const ext = extname(file);
  if (ext === '.mjs') return true;
  if (ext === '.cjs') return false;
  let dir = dirname(file);
  for (let depth = 0; depth < 64; depth++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: unknown }).type === 'module';
      } catch {
        return false;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return false;
}

function pickFunction(
  source: unknown,
  name: string,
): ((...args: unknown[]) => unknown) | undefined {
  if ((typeof source === 'object' || typeof source === 'function') && source !== null) {
    const value = (source as Record<string, unknown>)[name];
    if (typeof value === 'function') return value as (...args: unknown[]) => unknown;
  }
  return undefined;
}

/**
 * Loads a CommonJS (require) or ESM (import()) module and picks the handler export named
 * `handlerName` (FUNC_HANDLER), plus optional `init` and `shutdown` exports. A CommonJS module that
 * exports a single function is that handler, as in Kubeless.
 */
export async function loadFunction(
  modulePath: string,
  handlerName: string,
): Promise<FunctionModule> {
  const file = resolve(modulePath);
  let exportsObject: unknown;
  try {
    if (isEsmFile(file)) {
      const namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      // An ESM namespace of a CommonJS-shaped default export: look inside the default too.
      exportsObject =
        handlerName in namespace || typeof namespace.default !== 'object'
          ? namespace
          : namespace.default;
    } else {
      exportsObject = createRequire(file)(file);
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`Failed to load function module ${file}: ${reason}`);
  }
  let handler = pickFunction(exportsObject, handlerName);
  if (handler === undefined && typeof exportsObject === 'function') {
    handler = exportsObject as (...args: unknown[]) => unknown;
  }
  if (handler === undefined) {
    const names =
      typeof exportsObject === 'object' && exportsObject !== null ? Object.keys(exportsObject) : [];
    const available = names.length > 0 ? names.join(', ') : 'none';
    throw new ConfigError(
      `Module ${file} has no exported function '${handlerName}' (exports: ${available}); ` +
        'set FUNC_HANDLER or --handler to the handler export.',
    );
  }
  const loaded: FunctionModule = { handler: handler as AnyHandler };
  const init = pickFunction(exportsObject, 'init');
  const shutdown = pickFunction(exportsObject, 'shutdown');
  if (init && init !== handler) loaded.init = init;
  if (shutdown && shutdown !== handler) loaded.shutdown = shutdown;
  return loaded;
}
