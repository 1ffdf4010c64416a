// Kubernetes naming rules (apimachinery validation), as plain predicates with messages.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Why `value` is not a DNS-1123 label (names of functions, triggers, namespaces), or undefined. */
export function dns1123LabelProblem(value: string): string | undefined {
  if (value.length > 63) return `"${value}" is ${value.length} characters; at most 63 are allowed`;
  if (!DNS1123_LABEL.test(value)) {
    return `"${value}" is not a valid Kubernetes name: use lower-case letters, digits and '-', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Why `value` is not a DNS-1123 subdomain (Secret and ConfigMap names), or undefined. */
export function dns1123SubdomainProblem(value: string): string | undefined {
  if (value.length > 253)
    return `"${value}" is ${value.length} characters; at most 253 are allowed`;
  if (!DNS1123_SUBDOMAIN.test(value)) {
    return `"${value}" is not a valid Kubernetes name: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Why `key` is not a valid label or annotation key (`[prefix/]name`), or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && dns1123SubdomainProblem(prefix)) {
    return `key "${key}" has an invalid prefix "${prefix}" (must be a DNS subdomain such as example.com)`;
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return `key "${key}" is invalid: the name part must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !LABEL_NAME.test(value)) {
    return `value "${value}" is invalid: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Turns any string into a DNS-1123 label fragment (for generated names). */
export function toDnsLabel(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * Pod volume of a mounted Secret or ConfigMap: `<name>-vol` as serverless-kubeless named it, made
 * a valid volume name (a DNS-1123 label: Secret names may contain dots, volume names may not).
 */
export function mountVolumeName(name: string): string {
  return `${toDnsLabel(name).slice(0, 59).replace(/-+$/, '')}-vol`;
}
