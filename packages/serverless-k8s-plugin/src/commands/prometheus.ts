// Reads the runtime's /metrics (Prometheus text exposition format 0.0.4) into the numbers
// `metrics` shows, the same ones `kubeless function top` did.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

// name{labels} value [timestamp]
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL_PAIR = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;

function unescapeLabel(value: string): string {
  return value.replace(/\\(.)/g, (_match, char: string) => (char === 'n' ? '\n' : char));
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL_PAIR.lastIndex = 0;
  while (LABEL_PAIR.lastIndex < text.length) {
    const start = LABEL_PAIR.lastIndex;
    const match = LABEL_PAIR.exec(text);
    if (!match) {
      if (text.slice(start).trim() === '') break;
      throw new Error(`unparsable labels in metrics line: ${line}`);
    }
    labels[match[1] as string] = unescapeLabel(match[2] as string);
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** Every sample in a Prometheus text exposition; comments and blank lines are skipped. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`unparsable metrics line: ${line}`);
    samples.push({
      name: match[1] as string,
      labels: match[2] ? parseLabels(match[2], line) : {},
      value: parseValue(match[3] as string),
    });
  }
  return samples;
}

export interface FunctionMetrics {
  calls: number;
  failures: number;
  /** Seconds spent in the handler, summed over calls. */
  totalDurationSeconds: number;
  /** Calls the duration histogram counted (the divisor of the average). */
  durationCount: number;
  /** Undefined before the first call. */
  averageDurationSeconds: number | undefined;
}

function sum(samples: Sample[], name: string): number {
  return samples
    .filter((sample) => sample.name === name)
    .reduce((total, sample) => total + sample.value, 0);
}

/** The runtime's counters, summed over their label sets (method, status, …). */
export function summarizeMetrics(samples: Sample[]): FunctionMetrics {
  const durationCount = sum(samples, 'function_duration_seconds_count');
  const totalDurationSeconds = sum(samples, 'function_duration_seconds_sum');
  return {
    calls: sum(samples, 'function_calls_total'),
    failures: sum(samples, 'function_failures_total'),
    totalDurationSeconds,
    durationCount,
    averageDurationSeconds: durationCount > 0 ? totalDurationSeconds / durationCount : undefined,
  };
}

/** Several pods' counters as one function's: sums, and the average over all their calls. */
export function combineMetrics(parts: FunctionMetrics[]): FunctionMetrics {
  const total = (pick: (metrics: FunctionMetrics) => number) =>
    parts.reduce((sum, metrics) => sum + pick(metrics), 0);
  const totalDurationSeconds = total((metrics) => metrics.totalDurationSeconds);
  const durationCount = total((metrics) => metrics.durationCount);
  return {
    calls: total((metrics) => metrics.calls),
    failures: total((metrics) => metrics.failures),
    totalDurationSeconds,
    durationCount,
    averageDurationSeconds: durationCount > 0 ? totalDurationSeconds / durationCount : undefined,
  };
}
