import { describe, expect, it } from 'vitest';
import type { TrafficTarget } from '../../src/model/types.js';
import {
  referencedRevisions,
  renderTraffic,
  validateTraffic,
} from '../../src/providers/knative/traffic.js';
import { UserError } from '../../src/util/errors.js';
import { fnModel } from './knative-fixtures.js';

const check = (traffic: TrafficTarget[]) => () => validateTraffic(fnModel({ traffic }));

describe('traffic validation', () => {
  it('accepts the canary steps', () => {
    expect(check([{ latestRevision: true, percent: 100 }])).not.toThrow();
    expect(
      check([
        { revision: 'hello-aaaa1111', percent: 50 },
        { latestRevision: true, percent: 50 },
      ]),
    ).not.toThrow();
    expect(
      check([
        { revision: 'hello-aaaa1111', percent: 0, tag: 'old' },
        { latestRevision: true, percent: 100, tag: 'new' },
      ]),
    ).not.toThrow();
  });

  it('percents must add up to 100, and the error shows the sum and the parts', () => {
    expect(
      check([
        { revision: 'hello-a', percent: 50 },
        { latestRevision: true, percent: 40 },
      ]),
    ).toThrow(
      'functions.hello.traffic: percents add up to 90 (hello-a 50% + latest 40%); they must add up to 100.',
    );
  });

  it('exactly one of revision and latestRevision', () => {
    expect(check([{ revision: 'hello-a', latestRevision: true, percent: 100 }])).toThrow(
      /functions\.hello\.traffic\[0\]: set exactly one of `revision: <name>` or `latestRevision: true`/,
    );
    expect(check([{ percent: 100 }])).toThrow(/set exactly one of/);
  });

  it('percent must be a whole number 0..100', () => {
    expect(check([{ latestRevision: true, percent: 100.5 }])).toThrow(
      /traffic\[0\]\.percent: 100.5 is not a whole number/,
    );
    expect(
      check([
        { latestRevision: true, percent: -1 },
        { revision: 'a', percent: 101 },
      ]),
    ).toThrow(/traffic\[0\]\.percent: -1/);
  });

  it('tags are DNS labels and unique', () => {
    expect(check([{ latestRevision: true, percent: 100, tag: 'Blue' }])).toThrow(
      /tag: "Blue" must be a DNS label/,
    );
    expect(
      check([
        { revision: 'a', percent: 50, tag: 'x' },
        { latestRevision: true, percent: 50, tag: 'x' },
      ]),
    ).toThrow(/traffic\[1\]\.tag: "x" is used twice/);
  });

  it('an empty list and duplicate untagged entries', () => {
    expect(check([])).toThrow(/the list is empty/);
    expect(
      check([
        { revision: 'a', percent: 50 },
        { revision: 'a', percent: 50 },
      ]),
    ).toThrow(/listed twice without a tag/);
    expect(
      check([
        { latestRevision: true, percent: 50 },
        { latestRevision: true, percent: 50 },
      ]),
    ).toThrow(/`latestRevision: true` is listed 2 times/);
  });

  it('errors are UserErrors', () => {
    expect(check([{ latestRevision: true, percent: 1 }])).toThrow(UserError);
  });
});

describe('renderTraffic', () => {
  it('absent traffic leaves Knative its default (100% latest)', () => {
    expect(renderTraffic(fnModel())).toBeUndefined();
  });

  it('maps revision → revisionName, latestRevision, percent and tag', () => {
    const fn = fnModel({
      traffic: [
        { revision: 'hello-a', percent: 10, tag: 'stable' },
        { latestRevision: true, percent: 90 },
      ],
    });
    expect(renderTraffic(fn)).toEqual([
      { revisionName: 'hello-a', percent: 10, tag: 'stable' },
      { latestRevision: true, percent: 90 },
    ]);
  });
});

describe('referencedRevisions', () => {
  it('collects spec and status traffic plus latest created/ready', () => {
    const names = referencedRevisions({
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name: 'hello' },
      spec: {
        traffic: [
          { revisionName: 'hello-1', percent: 50 },
          { latestRevision: true, percent: 50 },
        ],
      },
      status: {
        traffic: [{ revisionName: 'hello-0', percent: 100 }],
        latestReadyRevisionName: 'hello-2',
        latestCreatedRevisionName: 'hello-3',
      },
    });
    expect([...names].sort()).toEqual(['hello-0', 'hello-1', 'hello-2', 'hello-3']);
  });
});
