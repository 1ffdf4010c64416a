// Golden manifests: serverless.yml fixtures → normalize → package → renderKubeless → YAML.
// The zip content is summarized (its bytes follow esbuild's output); checksum and base64 are
// checked against the zip here instead.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/cluster/types.js';
import { packageFunctions, toYaml } from '../../src/packaging/index.js';
import type { FunctionArtifact } from '../../src/packaging/types.js';
import { sha256Checksum } from '../../src/packaging/zip.js';
import { renderKubeless } from '../../src/providers/kubeless/manifests.js';
import { KUBELESS_FIXTURES, expectGolden, normalizeFixture } from './service-fixtures.js';

const outRoot = mkdtempSync(join(tmpdir(), 'sk8s-golden-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

/** Replaces the code payload by a readable summary after checking it matches the artifact. */
function summarizeCode(
  objects: KubeObject[],
  artifacts: Map<string, FunctionArtifact>,
): KubeObject[] {
  const byName = new Map(
    [...artifacts.values()].map((artifact) => [artifact.moduleFileName, artifact]),
  );
  return objects.map((object) => {
    if (object.kind !== 'Function') return object;
    const spec = object.spec as Record<string, unknown>;
    const handler = String(spec.handler);
    const artifact = [...byName.entries()].find(([file]) =>
      handler.startsWith(`${file.replace(/\.[^.]+$/, '')}.`),
    )?.[1];
    expect(artifact, `artifact for ${handler}`).toBeDefined();
    expect(Buffer.from(String(spec.function), 'base64').equals(artifact!.zip)).toBe(true);
    expect(spec.checksum).toBe(sha256Checksum(artifact!.zip));
    expect(spec.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    return {
      ...object,
      spec: {
        ...spec,
        function: `<base64 zip of ${Object.keys(artifact!.files).sort().join(', ')}>`,
        checksum: 'sha256:<checksum of the zip>',
      },
    };
  });
}

describe('renderKubeless golden manifests', () => {
  it.each(KUBELESS_FIXTURES)('%s', async (fixture) => {
    const model = normalizeFixture(fixture);
    const artifacts = await packageFunctions(model, model.functions, join(outRoot, fixture));
    // The API server host a kubeconfig would give (Kubeless's default ingress host uses it).
    const objects = renderKubeless(model, artifacts, undefined, { apiServerHost: '203.0.113.7' });
    expectGolden(`kubeless/${fixture}.yaml`, toYaml(summarizeCode(objects, artifacts)));
  });

  it('renders only the given functions for `deploy function`', async () => {
    const model = normalizeFixture('kubeless-full');
    const artifacts = await packageFunctions(model, model.functions, join(outRoot, 'only'));
    const report = model.functions.filter((fn) => fn.key === 'report');
    const objects = renderKubeless(model, artifacts, report);
    expect(objects.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([
      'Function/report',
      'CronJobTrigger/trigger-report',
    ]);
  });
});
