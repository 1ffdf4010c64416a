// Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource), for memorySize and cpu.

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/** Suffixes people write from other platforms, with the Kubernetes spelling they meant. */
const FOREIGN_SUFFIXES: Record<string, string> = {
  kb: 'Ki',
  mb: 'Mi',
  gb: 'Gi',
  tb: 'Ti',
  kib: 'Ki',
  mib: 'Mi',
  gib: 'Gi',
};

export type QuantityResult = { value: string } | { problem: string };

/**
 * memorySize: a number means mebibytes (as serverless-kubeless did: `memorySize: 128` → `128Mi`);
 * a string must be a Kubernetes quantity. `m` (milli) is valid Kubernetes but never meant for
 * memory, so it is rejected with the likely intent.
 */
export function memoryQuantity(input: unknown): QuantityResult {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input <= 0)
      return { problem: `${input} must be a positive number of MiB` };
    return { value: `${input}Mi` };
  }
  if (typeof input !== 'string')
    return { problem: 'must be a number (MiB) or a quantity such as 256Mi' };
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return { value: `${text}Mi` };
  const foreign = /^(\d+(?:\.\d+)?)\s*([A-Za-z]+)$/.exec(text);
  if (foreign && FOREIGN_SUFFIXES[foreign[2]!.toLowerCase()] && !QUANTITY.test(text)) {
    const suffix = FOREIGN_SUFFIXES[foreign[2]!.toLowerCase()]!;
    return {
      problem: `"${input}" is not a Kubernetes quantity; write ${foreign[1]}${suffix} (binary) or ${foreign[1]}${suffix[0]} (decimal)`,
    };
  }
  if (!QUANTITY.test(text)) {
    return { problem: `"${input}" is not a Kubernetes quantity; write e.g. 128Mi, 1Gi or 512M` };
  }
  if (text.endsWith('m') || text.startsWith('-') || parseQuantity(text) <= 0) {
    return { problem: `"${input}" is not a sensible memory size; write e.g. 128Mi or 1Gi` };
  }
  return { value: text };
}

/** cpu: a number of cores (`0.5`, `1`) or a quantity (`500m`). */
export function cpuQuantity(input: unknown): QuantityResult {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input <= 0)
      return { problem: `${input} must be a positive number of cores` };
    return { value: String(input) };
  }
  if (typeof input !== 'string')
    return { problem: 'must be a number of cores or a quantity such as 500m' };
  const text = input.trim();
  if (!QUANTITY.test(text)) {
    return {
      problem: `"${input}" is not a Kubernetes quantity; write e.g. 500m (half a core) or 1`,
    };
  }
  if (parseQuantity(text) <= 0) return { problem: `"${input}" must be more than zero` };
  return { value: text };
}

const MULTIPLIERS: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The numeric value of a valid quantity in base units (bytes, cores). */
export function parseQuantity(text: string): number {
  const match = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(.*)$/.exec(text);
  if (!match) return Number.NaN;
  const number = Number(match[1]);
  const suffix = match[2] ?? '';
  if (suffix === '') return number;
  if (/^[eE]/.test(suffix)) return number * 10 ** Number(suffix.slice(1));
  return number * (MULTIPLIERS[suffix] ?? Number.NaN);
}
