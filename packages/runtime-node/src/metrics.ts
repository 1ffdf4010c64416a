// Prometheus text exposition, written by hand: the request path only bumps numbers in a
// pre-labelled series, all string work happens when /metrics is scraped.

/** prom-client's default buckets, which Kubeless's runtime used. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export interface MetricLabels {
  /** MOD_NAME (Kubeless builds its `method` label value from it). */
  function: string;
  /** FUNC_HANDLER */
  handler: string;
  /** FUNC_RUNTIME */
  runtime: string;
}

/** Counters for one HTTP method. */
export class Series {
  calls = 0;
  failures = 0;
  /** Finished calls (a call is counted when it starts and observed when it ends). */
  observed = 0;
  durationSum = 0;
  readonly bucketCounts = new Float64Array(BUCKETS.length);

  constructor(readonly labelText: string) {}

  observe(seconds: number): void {
    this.observed++;
    this.durationSum += seconds;
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]!) {
        this.bucketCounts[i]!++;
        return;
      }
    }
  }
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class Metrics {
  private readonly series = new Map<string, Series>();
  private readonly baseLabels: string;
  private readonly functionName: string;

  constructor(labels: MetricLabels) {
    this.functionName = labels.function;
    this.baseLabels =
      `handler="${escapeLabel(labels.handler)}",function="${escapeLabel(labels.function)}",` +
      `runtime="${escapeLabel(labels.runtime)}"`;
  }

  /** The series for an HTTP method; label text is built once per method. */
  forMethod(method: string): Series {
    let series = this.series.get(method);
    if (series === undefined) {
      // Kubeless labels every series `method="<MOD_NAME>-<HTTP method>"`; keep that value.
      const methodLabel = escapeLabel(`${this.functionName}-${method}`);
      series = new Series(`${this.baseLabels},method="${methodLabel}"`);
      this.series.set(method, series);
    }
    return series;
  }

  /** Handler calls started and not yet finished. */
  inFlight(): number {
    let running = 0;
    for (const s of this.series.values()) running += s.calls - s.observed;
    return running;
  }

  render(): string {
    const out: string[] = [];
    out.push(
      '# HELP function_calls_total Number of calls to user function',
      '# TYPE function_calls_total counter',
    );
    for (const s of this.series.values())
      out.push(`function_calls_total{${s.labelText}} ${s.calls}`);
    out.push(
      '# HELP function_failures_total Number of exceptions in user function',
      '# TYPE function_failures_total counter',
    );
    for (const s of this.series.values()) {
      out.push(`function_failures_total{${s.labelText}} ${s.failures}`);
    }
    out.push(
      '# HELP function_duration_seconds Duration of user function in seconds',
      '# TYPE function_duration_seconds histogram',
    );
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < BUCKETS.length; i++) {
        cumulative += s.bucketCounts[i]!;
        out.push(
          `function_duration_seconds_bucket{${s.labelText},le="${BUCKETS[i]}"} ${cumulative}`,
        );
      }
      out.push(
        `function_duration_seconds_bucket{${s.labelText},le="+Inf"} ${s.observed}`,
        `function_duration_seconds_sum{${s.labelText}} ${s.durationSum}`,
        `function_duration_seconds_count{${s.labelText}} ${s.observed}`,
      );
    }
    out.push(...processMetrics());
    return out.join('\n') + '\n';
  }
}

function processMetrics(): string[] {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  const startSeconds = Math.round(Date.now() / 1000 - process.uptime());
  return [
    '# HELP process_cpu_user_seconds_total Total user CPU time spent in seconds.',
    '# TYPE process_cpu_user_seconds_total counter',
    `process_cpu_user_seconds_total ${cpu.user / 1e6}`,
    '# HELP process_cpu_system_seconds_total Total system CPU time spent in seconds.',
    '# TYPE process_cpu_system_seconds_total counter',
    `process_cpu_system_seconds_total ${cpu.system / 1e6}`,
    '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
    '# TYPE process_cpu_seconds_total counter',
    `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`,
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${memory.rss}`,
    '# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.',
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${startSeconds}`,
    '# HELP nodejs_heap_size_total_bytes Process heap size from Node.js in bytes.',
    '# TYPE nodejs_heap_size_total_bytes gauge',
    `nodejs_heap_size_total_bytes ${memory.heapTotal}`,
    '# HELP nodejs_heap_size_used_bytes Process heap size used from Node.js in bytes.',
    '# TYPE nodejs_heap_size_used_bytes gauge',
    `nodejs_heap_size_used_bytes ${memory.heapUsed}`,
    '# HELP nodejs_external_memory_bytes Node.js external memory size in bytes.',
    '# TYPE nodejs_external_memory_bytes gauge',
    `nodejs_external_memory_bytes ${memory.external}`,
  ];
}
