// `serverless deploy`: package, check the cluster can take it, create missing namespaces,
// server-side apply, prune what serverless.yml no longer has, wait for readiness and report.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import type { ApplyResult, ClusterClient, KubeObject } from '../cluster/types.js';
import type { FunctionModel } from '../model/types.js';
import type { FunctionStatus, ObjectRef, ProviderAdapter } from '../providers/types.js';
import { pollUntil } from '../cluster/poll.js';
import { stableJson } from '../util/stable-json.js';
import { UserError } from '../util/errors.js';
import type { Command, CommandContext } from './context.js';
import { booleanOption, parseWaitTimeout, stringOption } from './options.js';
import { deleteObjects, listOwned, objectKey, staleObjects } from './owned.js';
import { packageService } from './package.js';
import { missingReferenceWarnings, serviceReferences } from './references.js';
import { countOf, objectRef, statusLine } from './report.js';

const DEFAULT_WAIT_MS = 300_000;
/** How often a wait that shows no progress line (no terminal) prints a status line. */
const STATUS_LINE_MS = 20_000;

/** The readiness deadline of --wait-timeout; commands call it first so a typo fails before anything is applied. */
export function waitTimeoutMs(ctx: CommandContext): number {
  return parseWaitTimeout(stringOption(ctx.options, 'wait-timeout'), DEFAULT_WAIT_MS);
}

/** `deploy --package DIR` applies a YAML written earlier by `package` instead of packaging again. */
async function readPackagedObjects(ctx: CommandContext, directory: string): Promise<KubeObject[]> {
  const file = path.resolve(
    ctx.model.servicePath,
    directory,
    `${ctx.model.service}-${ctx.model.stage}.yaml`,
  );
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UserError(
      `--package ${directory}: ${file} does not exist. Run "serverless package" first.`,
    );
  }
  return yaml
    .loadAll(text)
    .filter(
      (document): document is KubeObject => typeof document === 'object' && document !== null,
    );
}

async function ensureNamespaces(
  ctx: CommandContext,
  client: ClusterClient,
  objects: KubeObject[],
): Promise<void> {
  const namespaces = new Set(
    objects.map((object) => object.metadata.namespace).filter((ns): ns is string => !!ns),
  );
  for (const namespace of namespaces) {
    if (await client.ensureNamespace(namespace)) {
      ctx.utils.log.success(`Created namespace ${namespace} (it did not exist)`);
    }
  }
}

/** URL (or first trigger) of a ready function, for the report line; best effort. */
async function functionUrl(
  ctx: CommandContext,
  client: ClusterClient,
  fn: FunctionModel,
): Promise<string | undefined> {
  try {
    const info = await ctx.provider.describe(client, ctx.model, fn);
    return info.url ?? info.triggers.find((trigger) => /^https?:\/\//.test(trigger.detail))?.detail;
  } catch (error) {
    ctx.utils.log.verbose(`Could not read the URL of ${fn.name}: ${(error as Error).message}`);
    return undefined;
  }
}

async function waitAndReport(
  ctx: CommandContext,
  client: ClusterClient,
  functions: FunctionModel[],
  rolloutFrom: { baseline?: KubeObject[]; applied: ApplyResult[] },
): Promise<void> {
  const { log, progress } = ctx.utils;
  if (!booleanOption(ctx.options, 'wait', true)) {
    log.notice('Not waiting for readiness (--no-wait). Check with "serverless info".');
    return;
  }
  const timeoutMs = waitTimeoutMs(ctx);
  const waiting = progress.create({
    message: `Waiting for ${countOf(functions.length, 'function')} to be ready`,
  });
  // Progress lines show only on a terminal: elsewhere (CI logs) a status line every 20 s says
  // what each function is still waiting for.
  const latest = new Map<string, string>();
  const started = Date.now();
  const heartbeat = process.stdout.isTTY
    ? undefined
    : setInterval(() => {
        const waited = Math.round((Date.now() - started) / 1000);
        log.notice(
          `Still waiting after ${waited}s: ${[...latest.values()].join('; ') || 'no status yet'}`,
        );
      }, STATUS_LINE_MS);
  let statuses: FunctionStatus[];
  try {
    statuses = await ctx.provider.waitReady(client, ctx.model, functions, {
      timeoutMs,
      progress: {
        update: (message) => {
          waiting.update(message);
          const name = message.slice(0, message.indexOf(':'));
          if (name) latest.set(name, message);
        },
      },
      ...rolloutFrom,
    });
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    waiting.remove();
  }
  for (const status of statuses) {
    const fn = functions.find((candidate) => candidate.name === status.name);
    if (status.ready) {
      log.success(statusLine(status, fn ? await functionUrl(ctx, client, fn) : undefined));
    } else {
      log.error(statusLine(status));
    }
    for (const warning of status.warnings ?? []) log.warning(`${status.name}: ${warning}`);
  }
  const failed = statuses.filter((status) => !status.ready);
  if (failed.length > 0) {
    const reasons = failed.map(
      (status) => `${status.name}: ${(status.problem ?? 'not ready').split('\n')[0]}`,
    );
    throw new UserError(
      `Deploy failed: ${failed.length} of ${countOf(statuses.length, 'function')} not ready on ${client.clusterName} (${reasons.join('; ')}).`,
    );
  }
}

function fieldAt(object: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (value, key) =>
        value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
      object,
    );
}

/**
 * Objects whose immutable fields serverless.yml changed: deleted here so that the apply creates
 * them anew (the API would refuse the change). Returns what was replaced and why, for the report.
 */
async function replaceImmutable(
  client: ClusterClient,
  provider: ProviderAdapter,
  objects: KubeObject[],
): Promise<string[]> {
  const replaced: string[] = [];
  for (const object of objects) {
    const fields = provider.immutableFields?.(object) ?? [];
    if (fields.length === 0) continue;
    const live = await client.get(
      object.apiVersion,
      object.kind,
      object.metadata.namespace,
      object.metadata.name,
    );
    if (!live) continue;
    // A field serverless.yml leaves out keeps what the API defaulted it to (a KafkaSource's
    // generated consumer group): only fields it sets can differ.
    const changed = fields.filter(
      (field) =>
        fieldAt(object, field) !== undefined &&
        stableJson(fieldAt(live, field)) !== stableJson(fieldAt(object, field)),
    );
    if (changed.length === 0) continue;
    await client.delete(
      object.apiVersion,
      object.kind,
      object.metadata.namespace,
      object.metadata.name,
    );
    await client.waitGone([object], PREREQUISITE_WAIT_MS);
    replaced.push(
      `replaced ${object.kind}/${object.metadata.name}: ${changed.join(', ')} cannot change once created`,
    );
  }
  return replaced;
}

/** How long a platform controller may take to create what an object needs before it is applied. */
const PREREQUISITE_WAIT_MS = 60_000;

/**
 * Waits until what each object needs exists (e.g. the Service Kubeless's function controller
 * makes for a Function, which its http-trigger controller reads once); fails naming what is
 * missing, who should have made it, and that nothing of `later` was applied.
 */
async function waitForPrerequisites(
  client: ClusterClient,
  provider: ProviderAdapter,
  later: KubeObject[],
  progress: (message: string) => void,
): Promise<void> {
  const refs = [
    ...new Map(
      later
        .map((object) => provider.prerequisite?.(object))
        .filter((ref): ref is ObjectRef => ref !== undefined)
        .map((ref) => [`${ref.kind}/${ref.namespace}/${ref.name}`, ref]),
    ).values(),
  ];
  const missing = async () => {
    const present = await Promise.all(
      refs.map((ref) => client.get(ref.apiVersion, ref.kind, ref.namespace, ref.name)),
    );
    return refs.filter((_, index) => present[index] === undefined);
  };
  let last = refs;
  const done = await pollUntil(
    async () => {
      last = await missing();
      return last.length === 0 ? true : undefined;
    },
    {
      timeoutMs: PREREQUISITE_WAIT_MS,
      intervalMs: 500,
      onWait: (waited) =>
        progress(
          `Waiting for ${last.map((ref) => `${ref.kind} ${ref.name}`).join(', ')} (${Math.round(waited / 1000)}s)`,
        ),
    },
  );
  if (done) return;
  const what = last
    .map(
      (ref) => `${ref.kind} "${ref.name}" in namespace "${ref.namespace}" (made by ${ref.madeBy})`,
    )
    .join(', ');
  throw new UserError(
    `Not applied: ${later.map((object) => `${object.kind}/${object.metadata.name}`).join(', ')}. ` +
      `They need ${what}, which did not appear within ${PREREQUISITE_WAIT_MS / 1000}s on ${client.clusterName}. ` +
      'Is the controller running? Everything else was applied; run the deploy again once it is.',
  );
}

/**
 * Applies `objects` for `functions` and waits for them. With `prune`, deletes what this
 * service/stage owns that `objects` no longer contains (full deploys only).
 */
export async function rollout(
  ctx: CommandContext,
  objects: KubeObject[],
  functions: FunctionModel[],
  { prune }: { prune: boolean },
): Promise<void> {
  const { model, provider } = ctx;
  const { log, progress } = ctx.utils;
  const client = await ctx.cluster();
  const notes = await provider.preflight(client, model, prune ? undefined : functions);
  for (const warning of notes?.warnings ?? []) log.warning(warning);
  for (const warning of await missingReferenceWarnings(client, serviceReferences(model, functions)))
    log.warning(warning);
  await ensureNamespaces(ctx, client, objects);

  const applying = progress.create({
    message: `Applying ${countOf(objects.length, 'object')} to ${client.clusterName}`,
  });
  let results: ApplyResult[];
  let changed: ApplyResult[];
  let pruned: KubeObject[] = [];
  // Read before apply: readiness of an update is judged against what was there before it.
  const baseline =
    provider.readBaseline && booleanOption(ctx.options, 'wait', true)
      ? await provider.readBaseline(client, functions)
      : undefined;
  try {
    const applyOptions = {
      force: booleanOption(ctx.options, 'force', false),
      ...(provider.takesOverFrom ? { takesOverFrom: provider.takesOverFrom } : {}),
    };
    const replaced = await replaceImmutable(client, provider, objects);
    for (const line of replaced) log.notice(`  ${line}`);
    const later = objects.filter((object) => provider.prerequisite?.(object));
    results = await client.apply(
      objects.filter((object) => !later.includes(object)),
      applyOptions,
    );
    if (later.length > 0) {
      await waitForPrerequisites(client, provider, later, (message) => applying.update(message));
      results.push(
        ...(await client.apply(later, applyOptions).catch((error: unknown) => {
          throw error instanceof UserError
            ? new UserError(
                `${error.message}\nEverything else (${results.length} objects) was applied before.`,
              )
            : error;
        })),
      );
    }
    changed = results.filter((result) => result.changed);
    if (prune) {
      applying.update('Pruning objects no longer in serverless.yml');
      pruned = staleObjects(await listOwned(client, model, provider), objects);
      if (provider.retainOnPrune) {
        const retained = new Set(
          (await provider.retainOnPrune(client, model, pruned)).map(objectKey),
        );
        pruned = pruned.filter((object) => !retained.has(objectKey(object)));
      }
      await deleteObjects(client, pruned);
    }
  } finally {
    applying.remove();
  }

  if (changed.length === 0 && pruned.length === 0) {
    log.success(
      `No changes: ${countOf(objects.length, 'object')} already up to date on ${client.clusterName}`,
    );
  } else {
    log.success(
      `Applied ${countOf(objects.length, 'object')} to ${client.clusterName}: ${changed.length} changed, ` +
        `${objects.length - changed.length} unchanged${prune ? `, ${pruned.length} pruned` : ''}`,
    );
    for (const { object, created } of changed) {
      log.notice(`  ${created ? 'created' : 'configured'} ${objectRef(object, model.namespace)}`);
    }
    for (const object of pruned) log.notice(`  deleted ${objectRef(object, model.namespace)}`);
  }
  await waitAndReport(ctx, client, functions, { baseline, applied: results });
}

/**
 * Starts connecting (loading @kubernetes/client-node alone takes about a second) while the
 * caller bundles; a connection error still surfaces where the client is first awaited.
 */
export function connectEarly(ctx: CommandContext): void {
  ctx.cluster().catch(() => undefined);
}

export const deployCommand: Command = async (ctx) => {
  waitTimeoutMs(ctx);
  connectEarly(ctx);
  const packageDir = stringOption(ctx.options, 'package');
  const objects =
    packageDir === undefined
      ? (await packageService(ctx, { push: true })).objects
      : await readPackagedObjects(ctx, packageDir);
  await rollout(ctx, objects, ctx.model.functions, { prune: true });
};
