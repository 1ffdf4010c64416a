// Packaging: serverless.yml's functions → one bundle, zip and checksum each (replacing the
// framework's zip of the whole service directory). Artifacts are also written under outDir so
// `invoke local` and humans can look at exactly what is deployed.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FOREIGN_RUNTIMES, runtimeFamily } from '../model/handler.js';
import type { FunctionModel, ServiceModel } from '../model/types.js';
import { UserError } from '../util/errors.js';
import { BundleError, bundleFunction } from './bundle.js';
import type { FunctionArtifact } from './types.js';
import { preloadZip, sha256Checksum, zipFiles } from './zip.js';

export { writeManifests, toYaml } from './yaml.js';

/**
 * The Kubeless controller stores spec.function (base64) and spec.deps in a ConfigMap, whose
 * data may not exceed 1 MiB.
 */
export const KUBELESS_CODE_LIMIT_BYTES = 1024 * 1024;

/**
 * Written next to a Node bundle on disk only: bundles are CommonJS, and in a `"type": "module"`
 * service Node would otherwise load them as ESM (invoke local, serve). Not part of the zip or
 * ConfigMap: in the cluster no package.json above the code directory declares a module type, and
 * Kubeless reads a package.json in /kubeless as the dependencies to install.
 */
const COMMONJS_MARKER = 'package.json';
const COMMONJS_MARKER_CONTENT = '{ "type": "commonjs" }\n';

/**
 * Bundles and zips each function (in parallel); keys of the result are function keys. Functions
 * without a handler (a prebuilt `image:`) are skipped. Files go to `<outDir>/<key>/` and
 * `<outDir>/<key>.zip`. Every failure is collected into one UserError.
 */
export async function packageFunctions(
  model: ServiceModel,
  functions: FunctionModel[],
  outDir: string,
): Promise<Map<string, FunctionArtifact>> {
  preloadZip();
  const problems: string[] = [];
  const results = await Promise.all(
    functions.map(async (fn) => {
      try {
        return await packageFunction(model, fn, outDir);
      } catch (error) {
        if (error instanceof BundleError || error instanceof UserError) {
          problems.push(`functions.${fn.key}.handler: ${error.message}`);
          return undefined;
        }
        throw error;
      }
    }),
  );
  if (problems.length > 0) {
    throw new UserError(
      `Packaging failed for ${problems.length} function(s):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
  }
  const artifacts = new Map<string, FunctionArtifact>();
  for (const artifact of results) if (artifact) artifacts.set(artifact.functionKey, artifact);
  return artifacts;
}

async function packageFunction(
  model: ServiceModel,
  fn: FunctionModel,
  outDir: string,
): Promise<FunctionArtifact | undefined> {
  if (!fn.handler) return undefined;
  const bundleDir = join(outDir, fn.key);
  const bundle = await bundleFunction(model, fn, fn.handler, bundleDir);
  const zip = await zipFiles(bundle.files);
  if (model.provider === 'kubeless') checkKubelessSize(fn, zip, bundle.deps);
  await rm(bundleDir, { recursive: true, force: true });
  await mkdir(bundleDir, { recursive: true });
  // With external dependencies the bundle's own package.json (no "type") already means CommonJS.
  const needsMarker =
    !FOREIGN_RUNTIMES[runtimeFamily(fn.runtime)] && bundle.files[COMMONJS_MARKER] === undefined;
  await Promise.all([
    ...Object.entries(bundle.files).map(([name, content]) =>
      writeFile(join(bundleDir, name), content),
    ),
    ...(needsMarker ? [writeFile(join(bundleDir, COMMONJS_MARKER), COMMONJS_MARKER_CONTENT)] : []),
    writeFile(join(outDir, `${fn.key}.zip`), zip),
  ]);
  return {
    functionKey: fn.key,
    moduleFileName: bundle.moduleFileName,
    zip,
    checksum: sha256Checksum(zip),
    deps: bundle.deps,
    files: bundle.files,
    bundleDir,
  };
}

function checkKubelessSize(fn: FunctionModel, zip: Buffer, deps: string): void {
  const size = Math.ceil(zip.length / 3) * 4 + Buffer.byteLength(deps);
  if (size <= KUBELESS_CODE_LIMIT_BYTES) return;
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
  const ways = [
    fn.externalDependencies
      ? undefined
      : `set externalDependencies: true on functions.${fn.key} (dependencies are then installed from spec.deps in the cluster)`,
    `build an image with the code and set functions.${fn.key}.image`,
    'drop unused dependencies',
  ].filter(Boolean);
  throw new UserError(
    `the code is ${mib(size)} (base64 zip ${mib(Math.ceil(zip.length / 3) * 4)} + deps ${mib(Buffer.byteLength(deps))}); Kubeless stores it in a ConfigMap limited to 1 MiB. Ways out: ${ways.join('; ')}`,
  );
}
