// One esbuild bundle per function: CommonJS (what the Kubeless runtimes and our runtime
// `require()`), dependencies included so the cluster never runs `npm install`, a linked source
// map for stack traces. The entry re-exports only the handler, so esbuild itself verifies the
// export exists — without running user code.
import { readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { Message } from 'esbuild';
import type { FunctionModel, HandlerRef, ServiceModel } from '../model/types.js';
import { FOREIGN_RUNTIMES, runtimeFamily } from '../model/handler.js';

export interface Bundle {
  /** File name the runtime loads, e.g. `hello.js`; its base name is the handler's module. */
  moduleFileName: string;
  files: Record<string, Buffer>;
  /** Dependency manifest for spec.deps, or ''. */
  deps: string;
}

/** A bundling failure in words a user can act on; packageFunctions turns these into a UserError. */
export class BundleError extends Error {}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

// Loaded on first use, like archiver in zip.ts: only packaging needs esbuild.
let esbuildModule: Promise<typeof import('esbuild')> | undefined;
const DEFAULT_TARGET = 'node20';

/** esbuild target for a function: the Node major of its Kubeless runtime or Knative image. */
export function nodeTarget(model: ServiceModel, fn: FunctionModel): string {
  const source = model.provider === 'knative' ? model.nodeImage : fn.runtime;
  const major = /(?:nodejs|node:?)(\d+)/.exec(source)?.[1];
  return major ? `node${major}` : DEFAULT_TARGET;
}

export async function bundleFunction(
  model: ServiceModel,
  fn: FunctionModel,
  handler: HandlerRef,
  outDir: string,
): Promise<Bundle> {
  const family = runtimeFamily(fn.runtime);
  const foreign = FOREIGN_RUNTIMES[family];
  if (foreign) return copySource(model, handler, foreign.depsFile);
  return bundleNode(model, fn, handler, outDir);
}

async function bundleNode(
  model: ServiceModel,
  fn: FunctionModel,
  handler: HandlerRef,
  outDir: string,
): Promise<Bundle> {
  const moduleFileName = `${fn.name}.js`;
  const exported = IDENTIFIER.test(handler.exportName)
    ? handler.exportName
    : JSON.stringify(handler.exportName);
  const source = `./${handler.file.split('\\').join('/')}`;
  esbuildModule ??= import('esbuild');
  const { build } = await esbuildModule;
  let result;
  try {
    result = await build({
      stdin: {
        contents: `export { ${exported} } from ${JSON.stringify(source)};\n`,
        resolveDir: model.servicePath,
        sourcefile: `${fn.name}.entry.js`,
        loader: 'js',
      },
      absWorkingDir: model.servicePath,
      outfile: join(outDir, moduleFileName),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: nodeTarget(model, fn),
      sourcemap: 'linked',
      // The runtime maps stack traces with the mappings alone; sources would only add size
      // against the 1 MiB object limit.
      sourcesContent: false,
      keepNames: true,
      packages: fn.externalDependencies ? 'external' : undefined,
      write: false,
      logLevel: 'silent',
    });
  } catch (error) {
    throw new BundleError(describeBuildFailure(error, handler));
  }
  const files: Record<string, Buffer> = {};
  for (const output of result.outputFiles)
    files[basename(output.path)] = Buffer.from(output.contents);
  const deps = fn.externalDependencies ? await nodeDeps(model.servicePath) : '';
  if (deps !== '') files['package.json'] = Buffer.from(deps);
  return { moduleFileName, files, deps };
}

/** Non-Node Kubeless runtimes: the handler file as written, plus its dependency file as spec.deps. */
async function copySource(
  model: ServiceModel,
  handler: HandlerRef,
  depsFile: string,
): Promise<Bundle> {
  const moduleFileName = basename(handler.file);
  const moduleName = basename(handler.file, extname(handler.file));
  if (moduleName.includes('.')) {
    throw new BundleError(
      `the module name "${moduleName}" contains a dot, which Kubeless reads as the end of the module; rename ${handler.file}`,
    );
  }
  const files = { [moduleFileName]: await readFile(join(model.servicePath, handler.file)) };
  const deps = await readOptional(join(model.servicePath, depsFile));
  if (deps !== '') files[depsFile] = Buffer.from(deps);
  return { moduleFileName, files, deps };
}

/** The service's package.json reduced to what an install needs (stable across unrelated edits). */
async function nodeDeps(servicePath: string): Promise<string> {
  const text = await readOptional(join(servicePath, 'package.json'));
  if (text === '') return '';
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new BundleError(
      `package.json is not valid JSON (${(error as Error).message}); it is needed for externalDependencies`,
    );
  }
  const reduced = {
    name: manifest.name ?? 'function',
    version: manifest.version ?? '0.0.0',
    dependencies: manifest.dependencies ?? {},
  };
  return `${JSON.stringify(reduced, null, 2)}\n`;
}

async function readOptional(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

function describeBuildFailure(error: unknown, handler: HandlerRef): string {
  const messages = (error as { errors?: Message[] }).errors;
  if (!Array.isArray(messages) || messages.length === 0)
    return `bundling ${handler.file} failed: ${(error as Error).message}`;
  const lines = messages.slice(0, 10).map((message) => {
    const where = message.location
      ? `${message.location.file}:${message.location.line}:${message.location.column + 1}: `
      : '';
    return `${where}${message.text}`;
  });
  const missingExport = messages.some((message) => message.text.startsWith('No matching export'));
  const unresolved = messages.some((message) => message.text.startsWith('Could not resolve'));
  const fix = missingExport
    ? `export "${handler.exportName}" from ${handler.file} or fix the handler name`
    : unresolved
      ? 'install the missing package (npm install) or fix the import path'
      : `fix the error in ${handler.file}`;
  return `bundling ${handler.file} failed:\n      ${lines.join('\n      ')}\n    Fix: ${fix}`;
}
