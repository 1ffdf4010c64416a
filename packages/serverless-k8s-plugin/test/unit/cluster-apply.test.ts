import { describe, expect, it } from 'vitest';
import { applyRank, mapLimited } from '../../src/cluster/client.js';

describe('applyRank', () => {
  it('puts namespaces and CRDs first, config next, workloads, then triggers', () => {
    const kinds = [
      'HTTPTrigger',
      'Function',
      'ConfigMap',
      'Namespace',
      'Trigger',
      'Broker',
      'Service',
    ];
    const ordered = [...kinds].sort((a, b) => applyRank({ kind: a }) - applyRank({ kind: b }));
    expect(ordered).toEqual([
      'Namespace',
      'ConfigMap',
      'Function',
      'Broker',
      'Service',
      'HTTPTrigger',
      'Trigger',
    ]);
  });
});

describe('mapLimited', () => {
  it('never runs more than the limit at once and keeps the input order', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapLimited([50, 10, 30, 20, 40, 5, 15], 3, async (ms) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, ms));
      running -= 1;
      return ms * 2;
    });
    expect(peak).toBe(3);
    expect(results).toEqual([100, 20, 60, 40, 80, 10, 30]);
  });

  it('handles no items', async () => {
    expect(await mapLimited([], 8, async () => 1)).toEqual([]);
  });
});
