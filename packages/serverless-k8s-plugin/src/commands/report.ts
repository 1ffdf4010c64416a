// Pure formatting of what commands print: short, aligned, kubectl-like lines.
import type { KubeObject } from '../cluster/types.js';
import type { FunctionInfo, FunctionStatus } from '../providers/types.js';
import type { FunctionMetrics } from './prometheus.js';

export const OK = '✔';
export const FAIL = '✖';

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_title, column) =>
    Math.max(...all.map((row) => (row[column] ?? '').length)),
  );
  return all.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** `Function/hello` or `Function/hello (ns)` when the namespace differs from the default one. */
export function objectRef(object: KubeObject, defaultNamespace?: string): string {
  const namespace = object.metadata.namespace;
  const suffix = namespace && namespace !== defaultNamespace ? ` (${namespace})` : '';
  return `${object.kind}/${object.metadata.name}${suffix}`;
}

/** `3 objects`, `1 object`. */
export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * `hello ready (1/1) http://…` or `hello not ready (0/1): CrashLoopBackOff …`; the framework's
 * log.success / log.error put the ✔ / ✖ in front.
 */
export function statusLine(status: FunctionStatus, url?: string): string {
  const replicas = `(${status.readyReplicas}/${status.desiredReplicas})`;
  if (status.ready) return [status.name, 'ready', replicas, url].filter(Boolean).join(' ');
  const problem = status.problem ?? 'not ready';
  // A multi-line problem (log excerpt) is indented under the function.
  const [first, ...rest] = problem.split('\n');
  return [
    `${status.name} not ready ${replicas}: ${first}`,
    ...rest.map((line) => `    ${line}`),
  ].join('\n');
}

export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  if (seconds < 1) return `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1)}ms`;
  return `${seconds.toFixed(2)}s`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

/** One function's row: its counters summed over `pods` pods, or why none could be read. */
export interface MetricsRow {
  name: string;
  pods: number;
  metrics: FunctionMetrics | string;
}

export function metricsTable(rows: MetricsRow[]): string[] {
  return formatTable(
    ['FUNCTION', 'PODS', 'CALLS', 'FAILURES', 'TOTAL DURATION', 'AVG DURATION'],
    rows.map(({ name, pods, metrics }) =>
      typeof metrics === 'string'
        ? [name, String(pods), '-', '-', '-', `- (${metrics})`]
        : [
            name,
            String(pods),
            String(metrics.calls),
            String(metrics.failures),
            formatSeconds(metrics.totalDurationSeconds),
            formatSeconds(metrics.averageDurationSeconds),
          ],
    ),
  );
}

/** The `info` block of one function. */
export function functionInfoLines(info: FunctionInfo): string[] {
  const lines = [
    `${info.ready ? OK : FAIL} ${info.name}`,
    `    runtime:   ${info.runtime}`,
    `    handler:   ${info.handler}`,
    `    ready:     ${info.readyReplicas}/${info.desiredReplicas}${info.problem ? ` (${info.problem.split('\n')[0]})` : ''}`,
  ];
  if (info.url) lines.push(`    url:       ${info.url}`);
  if (info.latestCreatedRevision || info.latestReadyRevision) {
    lines.push(
      `    revisions: latest created ${info.latestCreatedRevision ?? '-'}, latest ready ${info.latestReadyRevision ?? '-'}`,
    );
  }
  if (info.triggers.length > 0) {
    lines.push('    triggers:');
    for (const row of formatTable(
      ['KIND', 'NAME', 'DETAIL'],
      info.triggers.map((trigger) => [trigger.kind, trigger.name, trigger.detail]),
    )) {
      lines.push(`      ${row}`);
    }
  }
  if (info.traffic && info.traffic.length > 0) {
    lines.push('    traffic:');
    const rows = info.traffic.map((target) => [
      target.latest ? `${target.revision} (latest)` : target.revision,
      `${target.percent}%`,
      target.tag ?? '-',
      target.url ?? '-',
    ]);
    for (const row of formatTable(['REVISION', 'PERCENT', 'TAG', 'URL'], rows))
      lines.push(`      ${row}`);
  }
  return lines;
}
