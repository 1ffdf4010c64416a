// The environment a function's process gets, shared by the Knative manifests and the local runs
// (`invoke local`, `serve`), so every place agrees with what Kubeless itself sets.
import { basename, extname } from 'node:path';
import { parseQuantity } from './quantities.js';
import type { FunctionModel, ServiceModel } from './types.js';

type ShellEnv = Record<string, string | undefined>;

/** FUNC_MEMORY_LIMIT in bytes, as Kubeless passes it (the container's memory limit). */
export function memoryLimitBytes(quantity: string): string {
  const bytes = parseQuantity(quantity);
  return Number.isFinite(bytes) ? String(Math.round(bytes)) : quantity;
}

/**
 * The variables the cluster would set for a local run of `fn` from `moduleFile`: the Kubeless
 * FUNC_* set (plus K_SERVICE on Knative) and the function's plain `environment` values. A value
 * exported in the shell wins over serverless.yml, so a user can override one to test with it.
 */
export function localRuntimeEnv(
  model: ServiceModel,
  fn: FunctionModel,
  moduleFile: string,
  shellEnv: ShellEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {
    FUNC_HANDLER: fn.handler?.exportName ?? '',
    MOD_NAME: basename(moduleFile, extname(moduleFile)),
    FUNC_TIMEOUT: String(fn.timeout),
    FUNC_RUNTIME: fn.runtime,
  };
  if (fn.memorySize) env.FUNC_MEMORY_LIMIT = memoryLimitBytes(fn.memorySize);
  if (model.provider === 'knative') env.K_SERVICE = fn.name;
  for (const variable of fn.environment) {
    if (variable.value !== undefined && shellEnv[variable.name] === undefined)
      env[variable.name] = variable.value;
  }
  return env;
}

/** What only the cluster can resolve (valueFrom, envFrom) and the shell does not provide, to warn about. */
export function unresolvedEnv(fn: FunctionModel, shellEnv: ShellEnv = process.env): string[] {
  const unresolved = fn.environment
    .filter((variable) => variable.value === undefined && shellEnv[variable.name] === undefined)
    .map((variable) => variable.name);
  for (const source of fn.envFrom) {
    const ref = source.secretRef
      ? `Secret ${source.secretRef.name}`
      : `ConfigMap ${source.configMapRef?.name}`;
    unresolved.push(`(all keys of ${ref})`);
  }
  return unresolved;
}
