// For the examples' tests: runs the real `serverless package` and `serverless invoke local`
// (framework + serverless-k8s plugin) in an example directory.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';

const run = promisify(execFile);

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/** Runs the example's own `serverless` CLI with `args`; its stdout. */
async function serverless(exampleDir: string, args: string[]): Promise<string> {
  const cli = path.join(exampleDir, 'node_modules', 'serverless', 'bin', 'serverless.js');
  const { stdout } = await run(process.execPath, [cli, ...args], {
    cwd: exampleDir,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
  });
  return stdout;
}

/** `serverless package [--param=k=v …]` in `exampleDir`; the manifests of `.serverless/<service>-dev.yaml`. */
export async function packageExample(
  exampleDir: string,
  params: Record<string, string> = {},
): Promise<Manifest[]> {
  const paramArgs = Object.entries(params).map(([key, value]) => `--param=${key}=${value}`);
  await serverless(exampleDir, ['package', ...paramArgs]);
  const config = yaml.load(await readFile(path.join(exampleDir, 'serverless.yml'), 'utf8')) as {
    service: string;
  };
  const file = path.join(exampleDir, '.serverless', `${config.service}-dev.yaml`);
  return yaml.loadAll(await readFile(file, 'utf8')) as Manifest[];
}

export interface LocalInvocation {
  /** What the CLI printed: the function's own log lines, then the response body. */
  stdout: string;
  /** The response body, printed last as indented JSON, parsed. */
  json(): unknown;
}

/**
 * `serverless invoke local -f <fn> [-d <data as JSON>] [extra args]` in `exampleDir`: the bundle
 * as deployed, run by the runtime in the CLI's process. A non-2xx answer rejects; the error, with
 * the status and body, is in the rejection's `stdout`.
 */
export async function invokeLocal(
  exampleDir: string,
  functionKey: string,
  data?: unknown,
  extraArgs: string[] = [],
): Promise<LocalInvocation> {
  const dataArgs = data === undefined ? [] : ['-d', JSON.stringify(data)];
  const stdout = await serverless(exampleDir, [
    'invoke',
    'local',
    '-f',
    functionKey,
    ...dataArgs,
    ...extraArgs,
  ]);
  // The indented body starts at a line that is just "{" (log lines are single-line JSON or text).
  const bodyStart = stdout.startsWith('{\n') ? 0 : stdout.lastIndexOf('\n{\n') + 1;
  return { stdout, json: () => JSON.parse(stdout.slice(bodyStart)) as unknown };
}

export function ofKind(manifests: Manifest[], kind: string): Manifest[] {
  return manifests.filter((manifest) => manifest.kind === kind);
}
