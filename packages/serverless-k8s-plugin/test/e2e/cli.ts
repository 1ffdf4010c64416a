// Runs the real `serverless` CLI (the plugin package's serverless@3 devDependency) in a copy of a
// fixture service that loads the built plugin from node_modules/serverless-k8s.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const pluginDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runtimeDir = path.resolve(pluginDir, '../runtime-node');
const serverlessBin = path.join(
  path.dirname(
    createRequire(path.join(pluginDir, 'package.json')).resolve('serverless/package.json'),
  ),
  'bin',
  'serverless.js',
);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout + stderr, for assertions that do not care where a line went. */
  output: string;
}

export interface ServiceCopy {
  dir: string;
  /** Runs `serverless <args>` in the copy; never throws for a non-zero exit. */
  sls(
    args: string[],
    options?: { env?: Record<string, string>; timeoutMs?: number },
  ): Promise<CliResult>;
  dispose(): Promise<void>;
}

/** Copies test/fixtures/<name> to a temp dir and links the plugin and the runtime into its node_modules. */
export function copyService(name: string, env: Record<string, string> = {}): Promise<ServiceCopy> {
  return copyServiceDir(path.join(pluginDir, 'test', 'fixtures', name), env);
}

/**
 * Copies a service directory (a fixture, an example) to a temp dir without its node_modules and
 * .serverless, and links the plugin and the runtime into the copy's node_modules.
 */
export async function copyServiceDir(
  sourceDir: string,
  env: Record<string, string> = {},
): Promise<ServiceCopy> {
  // The CLI loads the plugin the way users get it: the build output named by package.json `main`.
  if (!existsSync(path.join(pluginDir, 'dist', 'index.js'))) {
    throw new Error(`${pluginDir}/dist/index.js is missing: build the plugin first (pnpm build)`);
  }
  const dir = await mkdtemp(path.join(tmpdir(), `sk8s-${path.basename(sourceDir)}-`));
  const skipped = new Set(
    ['node_modules', '.serverless'].map((entry) => path.join(sourceDir, entry)),
  );
  await cp(sourceDir, dir, { recursive: true, filter: (source) => !skipped.has(source) });
  await mkdir(path.join(dir, 'node_modules', '@serverless-k8s'), { recursive: true });
  await symlink(pluginDir, path.join(dir, 'node_modules', 'serverless-k8s'), 'dir');
  await symlink(runtimeDir, path.join(dir, 'node_modules', '@serverless-k8s', 'runtime'), 'dir');
  return {
    dir,
    sls: (args, options = {}) =>
      runServerless(dir, args, { ...env, ...options.env }, options.timeoutMs ?? 90_000),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

function runServerless(
  cwd: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [serverlessBin, ...args], {
      cwd,
      env: {
        ...process.env,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        SLS_DEPRECATION_DISABLE: '*',
        // Plain output: no progress animation or colours in what the tests read.
        CI: '1',
        FORCE_COLOR: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `serverless ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${stdout}\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output: `${stdout}\n${stderr}` });
    });
  });
}
