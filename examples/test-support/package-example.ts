// For the examples' tests: runs the real `serverless package` (framework + serverless-k8s plugin)
// in an example directory and returns the resources it rendered to .serverless/.
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

/** `serverless package [--param=k=v …]` in `exampleDir`; the manifests of `.serverless/<service>-dev.yaml`. */
export async function packageExample(
  exampleDir: string,
  params: Record<string, string> = {},
): Promise<Manifest[]> {
  const cli = path.join(exampleDir, 'node_modules', 'serverless', 'bin', 'serverless.js');
  const paramArgs = Object.entries(params).map(([key, value]) => `--param=${key}=${value}`);
  await run(process.execPath, [cli, 'package', ...paramArgs], {
    cwd: exampleDir,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
  });
  const config = yaml.load(await readFile(path.join(exampleDir, 'serverless.yml'), 'utf8')) as {
    service: string;
  };
  const file = path.join(exampleDir, '.serverless', `${config.service}-dev.yaml`);
  return yaml.loadAll(await readFile(file, 'utf8')) as Manifest[];
}

export function ofKind(manifests: Manifest[], kind: string): Manifest[] {
  return manifests.filter((manifest) => manifest.kind === kind);
}
