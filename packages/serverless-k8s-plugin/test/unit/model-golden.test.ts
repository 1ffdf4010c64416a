// Golden normalized models (as YAML) for fixtures whose manifests another provider renders.
import yaml from 'js-yaml';
import { describe, it } from 'vitest';
import { expectGolden, normalizeFixture } from './service-fixtures.js';

describe('normalize golden models', () => {
  it.each(['knative-model', 'kubeless-full'])('%s', (fixture) => {
    const model = normalizeFixture(fixture);
    // JSON round trip: drops undefined optionals, as the model is meant to be plain data.
    const plain = JSON.parse(JSON.stringify({ ...model, servicePath: '<fixture dir>' })) as unknown;
    expectGolden(`model/${fixture}.yaml`, yaml.dump(plain, { noRefs: true, lineWidth: -1 }));
  });
});
