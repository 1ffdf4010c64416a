// The runtimes a Kubeless cluster accepts, from its kubeless-config ConfigMap (`runtime-images`),
// and the closest valid id for a mistyped one (the classic `python` for `python3.7`).
import { closestSpelling } from '../../util/closest-spelling.js';

/** One entry of `runtime-images`, as far as runtime ids need it. */
interface RuntimeImageEntry {
  ID?: string;
  versions?: { name?: string; version?: string }[];
}

/** `nodejs` + `14` → `nodejs14`, `python` + `3.8` → `python3.8`: what a Function's spec.runtime must be. */
export function parseRuntimeIds(runtimeImages: string): string[] {
  const parsed: unknown = JSON.parse(runtimeImages);
  if (!Array.isArray(parsed)) throw new Error('runtime-images is not a JSON list');
  const ids: string[] = [];
  for (const entry of parsed as RuntimeImageEntry[]) {
    if (!entry || typeof entry.ID !== 'string') continue;
    for (const version of entry.versions ?? []) {
      if (typeof version?.version === 'string') ids.push(`${entry.ID}${version.version}`);
    }
  }
  return ids;
}

function family(runtime: string): string {
  return runtime.replace(/[\d.]+$/, '');
}

function versionParts(runtime: string): number[] {
  return (/[\d.]+$/.exec(runtime)?.[0] ?? '').split('.').filter(Boolean).map(Number);
}

function compareVersions(a: string, b: string): number {
  const left = versionParts(a);
  const right = versionParts(b);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const diff = (left[i] ?? 0) - (right[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * The valid runtime the user most likely meant: the newest version of the same language
 * (`python` → `python3.8`, `nodejs20` → `nodejs14`), else the nearest spelling (`node14` → `nodejs14`).
 */
export function closestRuntime(runtime: string, valid: string[]): string | undefined {
  const wanted = runtime.toLowerCase();
  const sameLanguage = valid.filter((id) => family(id).toLowerCase() === family(wanted));
  if (sameLanguage.length > 0) return [...sameLanguage].sort(compareVersions).at(-1);
  return closestSpelling(wanted, valid);
}
