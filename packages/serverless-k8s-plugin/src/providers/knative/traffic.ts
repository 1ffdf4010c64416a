// Function-level `traffic:` → the Knative Service's spec.traffic (canary, blue/green, tags).
import type { ClusterClient, KubeObject } from '../../cluster/types.js';
import type { FunctionModel, TrafficTarget } from '../../model/types.js';
import { UserError } from '../../util/errors.js';
import { REVISION, SERVICE_LABEL } from './api.js';

/** A tag becomes a DNS label in the tagged URL (`<tag>-<service>.<ns>...`). */
const TAG = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Pure checks: one target kind per entry, whole percents summing to 100, unique tags and revisions. */
export function validateTraffic(fn: FunctionModel): void {
  const traffic = fn.traffic;
  if (!traffic) return;
  const where = `functions.${fn.key}.traffic`;
  if (traffic.length === 0) {
    throw new UserError(
      `${where}: the list is empty; remove \`traffic\` for 100% to the latest revision.`,
    );
  }
  const tags = new Set<string>();
  const revisions = new Set<string>();
  let latestCount = 0;
  let sum = 0;
  traffic.forEach((target, index) => {
    const at = `${where}[${index}]`;
    const hasRevision = typeof target.revision === 'string' && target.revision.length > 0;
    if (hasRevision === (target.latestRevision === true)) {
      throw new UserError(
        `${at}: set exactly one of \`revision: <name>\` or \`latestRevision: true\`.`,
      );
    }
    if (!Number.isInteger(target.percent) || target.percent < 0 || target.percent > 100) {
      throw new UserError(
        `${at}.percent: ${String(target.percent)} is not a whole number from 0 to 100.`,
      );
    }
    sum += target.percent;
    if (target.tag !== undefined) {
      if (!TAG.test(target.tag) || target.tag.length > 63) {
        throw new UserError(
          `${at}.tag: "${target.tag}" must be a DNS label (lowercase letters, digits, '-').`,
        );
      }
      if (tags.has(target.tag)) throw new UserError(`${at}.tag: "${target.tag}" is used twice.`);
      tags.add(target.tag);
    }
    if (hasRevision) {
      const name = target.revision as string;
      if (revisions.has(name) && target.tag === undefined) {
        throw new UserError(
          `${at}: revision "${name}" is listed twice without a tag; merge the entries.`,
        );
      }
      revisions.add(name);
    } else {
      latestCount += 1;
    }
  });
  if (sum !== 100) {
    const parts = traffic.map((t) => `${t.revision ?? 'latest'} ${t.percent}%`).join(' + ');
    throw new UserError(`${where}: percents add up to ${sum} (${parts}); they must add up to 100.`);
  }
  if (latestCount > 1 && tags.size < latestCount) {
    throw new UserError(
      `${where}: \`latestRevision: true\` is listed ${latestCount} times; give each a \`tag\` or merge them.`,
    );
  }
}

/** spec.traffic, or undefined for Knative's default (100% to the latest ready revision). */
export function renderTraffic(fn: FunctionModel): Record<string, unknown>[] | undefined {
  if (!fn.traffic) return undefined;
  validateTraffic(fn);
  return fn.traffic.map((target: TrafficTarget) => ({
    ...(target.revision ? { revisionName: target.revision } : { latestRevision: true }),
    percent: target.percent,
    ...(target.tag ? { tag: target.tag } : {}),
  }));
}

/** Names of the function's Revisions that exist in the cluster, oldest first. */
export async function existingRevisions(
  client: ClusterClient,
  fn: FunctionModel,
): Promise<KubeObject[]> {
  const revisions = await client.list(
    REVISION.apiVersion,
    REVISION.kind,
    fn.namespace,
    `${SERVICE_LABEL}=${fn.name}`,
  );
  return revisions.sort(
    (a, b) =>
      String(a.metadata.creationTimestamp ?? '').localeCompare(
        String(b.metadata.creationTimestamp ?? ''),
      ) || a.metadata.name.localeCompare(b.metadata.name),
  );
}

/** Cluster check before apply: every named revision must exist (Knative would accept and then fail the Route). */
export async function checkTrafficRevisions(
  client: ClusterClient,
  fn: FunctionModel,
): Promise<void> {
  const named = (fn.traffic ?? [])
    .map((t) => t.revision)
    .filter((r): r is string => typeof r === 'string');
  if (named.length === 0) return;
  const existing = (await existingRevisions(client, fn)).map((r) => r.metadata.name);
  const missing = named.filter((name) => !existing.includes(name));
  if (missing.length === 0) return;
  const known =
    existing.length > 0
      ? `existing revisions: ${existing.join(', ')}`
      : 'the function has no revisions yet';
  throw new UserError(
    `functions.${fn.key}.traffic: revision ${missing.map((m) => `"${m}"`).join(', ')} not found in namespace ` +
      `${fn.namespace} on ${client.clusterName} (${known}). Use \`latestRevision: true\` for the revision this deploy creates; ` +
      '`serverless info` lists the revisions.',
  );
}

/** Revisions a Service routes to or may fall back to: spec and status traffic plus latest created/ready. */
export function referencedRevisions(service: KubeObject): Set<string> {
  const spec = (service.spec ?? {}) as { traffic?: { revisionName?: string }[] };
  const status = (service.status ?? {}) as {
    traffic?: { revisionName?: string }[];
    latestReadyRevisionName?: string;
    latestCreatedRevisionName?: string;
  };
  const names = new Set<string>();
  for (const t of [...(spec.traffic ?? []), ...(status.traffic ?? [])])
    if (t.revisionName) names.add(t.revisionName);
  if (status.latestReadyRevisionName) names.add(status.latestReadyRevisionName);
  if (status.latestCreatedRevisionName) names.add(status.latestCreatedRevisionName);
  return names;
}
