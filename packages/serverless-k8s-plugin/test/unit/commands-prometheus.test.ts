import { describe, expect, it } from 'vitest';
import {
  combineMetrics,
  parsePrometheusText,
  summarizeMetrics,
} from '../../src/commands/prometheus.js';

// What the runtime serves after 3 GET calls (1 failed) and 1 POST call.
const EXPOSITION = `# HELP function_calls_total Number of calls to user function
# TYPE function_calls_total counter
function_calls_total{handler="hello",function="handler",runtime="nodejs20",method="handler-GET"} 3
function_calls_total{handler="hello",function="handler",runtime="nodejs20",method="handler-POST"} 1
# TYPE function_failures_total counter
function_failures_total{handler="hello",function="handler",runtime="nodejs20",method="handler-GET"} 1
function_failures_total{handler="hello",function="handler",runtime="nodejs20",method="handler-POST"} 0
# TYPE function_duration_seconds histogram
function_duration_seconds_bucket{handler="hello",function="handler",runtime="nodejs20",method="handler-GET",le="0.005"} 2
function_duration_seconds_bucket{handler="hello",function="handler",runtime="nodejs20",method="handler-GET",le="+Inf"} 3
function_duration_seconds_sum{handler="hello",function="handler",runtime="nodejs20",method="handler-GET"} 0.3
function_duration_seconds_count{handler="hello",function="handler",runtime="nodejs20",method="handler-GET"} 3
function_duration_seconds_sum{handler="hello",function="handler",runtime="nodejs20",method="handler-POST"} 0.1
function_duration_seconds_count{handler="hello",function="handler",runtime="nodejs20",method="handler-POST"} 1
process_cpu_user_seconds_total 0.25
process_start_time_seconds 1700000000 1700000000123
`;

describe('Prometheus text', () => {
  it('parses names, labels (with escapes) and values', () => {
    const samples = parsePrometheusText(
      'a_total{path="/x",msg="say \\"hi\\"\\nbye",le="+Inf"} 2\nb NaN\nc +Inf\n\n# comment\n',
    );
    expect(samples).toEqual([
      { name: 'a_total', labels: { path: '/x', msg: 'say "hi"\nbye', le: '+Inf' }, value: 2 },
      { name: 'b', labels: {}, value: Number.NaN },
      { name: 'c', labels: {}, value: Number.POSITIVE_INFINITY },
    ]);
  });

  it('accepts an optional timestamp and rejects garbage', () => {
    expect(parsePrometheusText('x 1 1700000000000')).toEqual([{ name: 'x', labels: {}, value: 1 }]);
    expect(() => parsePrometheusText('not a metric line at all')).toThrow(
      /unparsable metrics line/,
    );
    expect(() => parsePrometheusText('x{a=unquoted} 1')).toThrow(/unparsable labels/);
  });

  it('sums the runtime counters over methods', () => {
    const metrics = summarizeMetrics(parsePrometheusText(EXPOSITION));
    expect(metrics.calls).toBe(4);
    expect(metrics.failures).toBe(1);
    expect(metrics.totalDurationSeconds).toBeCloseTo(0.4);
    expect(metrics.averageDurationSeconds).toBeCloseTo(0.1);
  });

  it('has no average before the first call', () => {
    expect(summarizeMetrics(parsePrometheusText('process_cpu_user_seconds_total 1'))).toEqual({
      calls: 0,
      failures: 0,
      totalDurationSeconds: 0,
      durationCount: 0,
      averageDurationSeconds: undefined,
    });
  });

  it("combines pods' counters, averaging over all their calls (not over the pods' averages)", () => {
    const busy = summarizeMetrics(parsePrometheusText(EXPOSITION));
    const quiet = {
      calls: 1,
      failures: 0,
      totalDurationSeconds: 2,
      durationCount: 1,
      averageDurationSeconds: 2,
    };
    const combined = combineMetrics([busy, quiet]);
    expect(combined.calls).toBe(5);
    expect(combined.failures).toBe(1);
    expect(combined.durationCount).toBe(5);
    expect(combined.totalDurationSeconds).toBeCloseTo(2.4);
    expect(combined.averageDurationSeconds).toBeCloseTo(0.48);
    expect(combineMetrics([]).averageDurationSeconds).toBeUndefined();
  });
});
