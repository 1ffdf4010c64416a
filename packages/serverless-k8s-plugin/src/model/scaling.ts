// Autoscaling (Kubeless HPA, Knative revision annotations) and Knative traffic splits.
import type {
  FunctionModel,
  KnativeAutoscaling,
  KubelessAutoscaling,
  TrafficTarget,
} from './types.js';
import { dns1123LabelProblem } from './names.js';
import { checkName, describe, rejectKeys, type Obj, type Reader, isObject } from './reader.js';

const KUBELESS_AUTOSCALING_KEYS = ['minReplicas', 'maxReplicas', 'cpuTargetPercent'];
const KNATIVE_AUTOSCALING_KEYS = [
  'minScale',
  'maxScale',
  'initialScale',
  'target',
  'metric',
  'class',
  'window',
  'scaleDownDelay',
];
const KNATIVE_CLASSES: Record<string, string> = {
  kpa: 'kpa.autoscaling.knative.dev',
  hpa: 'hpa.autoscaling.knative.dev',
  'kpa.autoscaling.knative.dev': 'kpa.autoscaling.knative.dev',
  'hpa.autoscaling.knative.dev': 'hpa.autoscaling.knative.dev',
};
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

export function kubelessAutoscaling(
  read: Reader,
  raw: Obj,
  path: string,
  fn: FunctionModel,
): KubelessAutoscaling | undefined {
  rejectKeys(
    read,
    raw,
    KNATIVE_AUTOSCALING_KEYS,
    path,
    'is a knative autoscaling key; kubeless takes minReplicas, maxReplicas, cpuTargetPercent',
  );
  const minReplicas = read.integer(raw.minReplicas, `${path}.minReplicas`, 1) ?? 1;
  const maxReplicas = read.integer(raw.maxReplicas, `${path}.maxReplicas`, 1);
  const cpuTargetPercent = read.integer(raw.cpuTargetPercent, `${path}.cpuTargetPercent`, 1);
  if (maxReplicas === undefined) {
    if (raw.maxReplicas === undefined) read.problems.add(`${path}.maxReplicas`, 'is required');
    return undefined;
  }
  if (minReplicas > maxReplicas) {
    read.problems.add(
      `${path}`,
      `minReplicas (${minReplicas}) is greater than maxReplicas (${maxReplicas})`,
    );
  }
  if (fn.cpu === undefined) {
    read.problems.add(
      `${path}`,
      `CPU-based autoscaling needs a CPU request; set functions.${fn.key}.cpu (e.g. 100m) or provider.cpu`,
    );
  }
  return cpuTargetPercent === undefined
    ? { minReplicas, maxReplicas }
    : { minReplicas, maxReplicas, cpuTargetPercent };
}

export function knativeAutoscaling(read: Reader, raw: Obj, path: string): KnativeAutoscaling {
  rejectKeys(
    read,
    raw,
    KUBELESS_AUTOSCALING_KEYS,
    path,
    'is a kubeless autoscaling key; knative takes minScale, maxScale, initialScale, target, metric, class, window, scaleDownDelay',
  );
  const result: KnativeAutoscaling = {
    minScale: read.integer(raw.minScale, `${path}.minScale`, 0),
    maxScale: read.integer(raw.maxScale, `${path}.maxScale`, 0),
    initialScale: read.integer(raw.initialScale, `${path}.initialScale`, 0),
    target: read.integer(raw.target, `${path}.target`, 1),
  };
  if (raw.metric !== undefined) {
    if (
      raw.metric === 'concurrency' ||
      raw.metric === 'rps' ||
      raw.metric === 'cpu' ||
      raw.metric === 'memory'
    )
      result.metric = raw.metric;
    else
      read.problems.add(
        `${path}.metric`,
        `must be concurrency, rps, cpu or memory, got ${describe(raw.metric)}`,
      );
  }
  if (raw.class !== undefined) {
    const cls = KNATIVE_CLASSES[String(raw.class)];
    if (cls) result.class = cls;
    else
      read.problems.add(
        `${path}.class`,
        `must be kpa or hpa (or the full kpa.autoscaling.knative.dev), got ${describe(raw.class)}`,
      );
  }
  for (const key of ['window', 'scaleDownDelay'] as const) {
    const value = read.string(raw[key], `${path}.${key}`);
    if (value === undefined) continue;
    if (GO_DURATION.test(value)) result[key] = value;
    else
      read.problems.add(`${path}.${key}`, `"${value}" is not a duration; write e.g. 60s, 2m or 1h`);
  }
  if (
    (result.metric === 'cpu' || result.metric === 'memory') &&
    result.class !== KNATIVE_CLASSES.hpa
  ) {
    read.problems.add(
      `${path}.metric`,
      `${result.metric} scaling needs class: hpa (the default kpa class scales on concurrency or rps)`,
    );
  }
  if (
    result.minScale !== undefined &&
    result.maxScale !== undefined &&
    result.maxScale > 0 &&
    result.minScale > result.maxScale
  ) {
    read.problems.add(
      `${path}`,
      `minScale (${result.minScale}) is greater than maxScale (${result.maxScale})`,
    );
  }
  for (const key of Object.keys(result) as (keyof KnativeAutoscaling)[]) {
    if (result[key] === undefined) delete result[key];
  }
  return result;
}

export function traffic(read: Reader, value: unknown, path: string): TrafficTarget[] | undefined {
  const list = read.array(value, path);
  if (!list) return undefined;
  if (list.length === 0) {
    read.problems.add(
      path,
      'must list at least one target, e.g. - latestRevision: true\n      percent: 100',
    );
    return undefined;
  }
  const targets: TrafficTarget[] = [];
  const tags = new Set<string>();
  let total = 0;
  list.forEach((item, i) => {
    const itemPath = `${path}[${i}]`;
    if (!isObject(item)) {
      read.problems.add(itemPath, 'must be { revision | latestRevision: true, percent, tag? }');
      return;
    }
    const revision = read.string(item.revision, `${itemPath}.revision`);
    const latest = read.boolean(item.latestRevision, `${itemPath}.latestRevision`);
    if ((revision !== undefined) === (latest === true)) {
      read.problems.add(itemPath, 'needs exactly one of revision: <name> or latestRevision: true');
    }
    if (revision !== undefined)
      checkName(read.problems, `${itemPath}.revision`, revision, dns1123LabelProblem);
    const percent = read.integer(item.percent, `${itemPath}.percent`, 0, 100);
    if (item.percent === undefined) read.problems.add(`${itemPath}.percent`, 'is required (0-100)');
    total += percent ?? 0;
    const tag = read.string(item.tag, `${itemPath}.tag`);
    if (tag !== undefined) {
      checkName(read.problems, `${itemPath}.tag`, tag, dns1123LabelProblem);
      if (tags.has(tag))
        read.problems.add(`${itemPath}.tag`, `"${tag}" is used twice; tags must be unique`);
      tags.add(tag);
    }
    const target: TrafficTarget = { percent: percent ?? 0 };
    if (revision !== undefined) target.revision = revision;
    if (latest === true) target.latestRevision = true;
    if (tag !== undefined) target.tag = tag;
    targets.push(target);
  });
  if (targets.length === list.length && total !== 100) {
    read.problems.add(path, `percents add up to ${total}; they must add up to 100`);
  }
  return targets;
}
