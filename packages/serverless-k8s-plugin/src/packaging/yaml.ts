// Manifests as multi-document YAML (what `kubectl apply -f` takes; golden tests compare it).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import yaml from 'js-yaml';
import type { KubeObject } from '../cluster/types.js';

export function toYaml(objects: KubeObject[]): string {
  return objects
    .map((object) => `---\n${yaml.dump(object, { noRefs: true, lineWidth: -1 })}`)
    .join('');
}

export async function writeManifests(objects: KubeObject[], file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, toYaml(objects));
}
