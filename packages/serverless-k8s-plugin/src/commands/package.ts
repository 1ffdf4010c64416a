// `serverless package`: bundle every function, render the provider's resources and write them
// as one multi-document YAML under .serverless/ (`kubectl apply -f` works on it).
import path from 'node:path';
import type { KubeObject } from '../cluster/types.js';
import type { FunctionModel } from '../model/types.js';
import { kubeconfigServer } from '../cluster/kubeconfig-server.js';
import { packageFunctions, writeManifests } from '../packaging/index.js';
import type { FunctionArtifact } from '../packaging/types.js';
import type { Command, CommandContext } from './context.js';
import { countOf, formatBytes, objectRef } from './report.js';

export interface PackageResult {
  artifacts: Map<string, FunctionArtifact>;
  objects: KubeObject[];
  /** Absolute path of the YAML written. */
  manifestFile: string;
}

export function manifestFileName(ctx: CommandContext): string {
  return path.join(ctx.outputDir, `${ctx.model.service}-${ctx.model.stage}.yaml`);
}

/**
 * Bundles the given functions (a prebuilt `image:` needs no bundle), runs the provider's optional
 * prepare step (Knative `build: docker`; `push` when deploying) and renders their objects.
 */
export async function bundleAndRender(
  ctx: CommandContext,
  { push, only }: { push: boolean; only?: FunctionModel[] },
): Promise<{ artifacts: Map<string, FunctionArtifact>; objects: KubeObject[] }> {
  const { model, provider } = ctx;
  const functions = only ?? model.functions;
  const artifacts = await packageFunctions(
    model,
    functions.filter((fn) => fn.handler !== undefined),
    ctx.outputDir,
  );
  if (provider.prepare) {
    const preparing = ctx.utils.progress.create({ message: 'Preparing images' });
    try {
      await provider.prepare(
        model,
        artifacts,
        { outputDir: ctx.outputDir, progress: preparing, push },
        only,
      );
    } finally {
      preparing.remove();
    }
  }
  const server = kubeconfigServer(model.context);
  const target = {
    ...(server ? { apiServerHost: new URL(server).hostname } : {}),
    warn: (message: string) => ctx.utils.log.warning(message),
  };
  return { artifacts, objects: provider.render(model, artifacts, only, target) };
}

/** Packages the whole service and writes its YAML; prints a one-line summary (details with --verbose). */
export async function packageService(
  ctx: CommandContext,
  { push }: { push: boolean },
): Promise<PackageResult> {
  const started = Date.now();
  const { artifacts, objects } = await bundleAndRender(ctx, { push });
  const manifestFile = manifestFileName(ctx);
  await writeManifests(objects, manifestFile);
  const { log } = ctx.utils;
  const relativeFile = path.relative(ctx.model.servicePath, manifestFile) || manifestFile;
  log.success(
    `Packaged ${countOf(ctx.model.functions.length, 'function')} in ${Date.now() - started} ms: ` +
      `${countOf(objects.length, 'object')} → ${relativeFile}`,
  );
  for (const [key, artifact] of artifacts) {
    log.verbose(
      `  ${key}: ${artifact.moduleFileName}, zip ${formatBytes(artifact.zip.length)}, ${artifact.checksum}`,
    );
  }
  for (const object of objects) log.verbose(`  ${objectRef(object, ctx.model.namespace)}`);
  return { artifacts, objects, manifestFile };
}

export const packageCommand: Command = async (ctx) => {
  await packageService(ctx, { push: false });
};
