// The ```yaml examples of a docs/ page as serverless.yml configurations, so a test can run them
// through the framework's schema and normalize(). A block is annotated by an HTML comment on the
// line before its fence (after blank lines): `<!-- docs-test: skip … -->` (not a serverless.yml,
// e.g. a rendered manifest; naming a file under test/unit/golden/ makes it an excerpt of that
// golden file), `<!-- docs-test: error -->` (must fail with the message of the
// ```text block that follows), `<!-- docs-test: error without-sources -->` (the same, without
// generating the handler files).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import yaml from 'js-yaml';
import { FOREIGN_RUNTIMES, runtimeFamily } from '../../src/model/handler.js';
import { DEFAULT_RUNTIME } from '../../src/model/normalize.js';
import type { ProviderName } from '../../src/model/types.js';
import type { ServiceConfig } from './service-fixtures.js';

export interface DocExample {
  /** 1-based line of the opening fence. */
  line: number;
  /** The word after `docs-test:` (skip, error), if any. */
  mode?: 'skip' | 'error';
  /** Options after the mode, e.g. `without-sources`. */
  flags: string[];
  /** The annotation as written, e.g. `skip (rendered manifest, from test/unit/golden/…)`. */
  annotation?: string;
  source: string;
  /** For `error` blocks: the text of the next fenced block (the documented message). */
  expectedMessage?: string;
}

interface Fence {
  line: number;
  lang: string;
  body: string;
  annotation?: string;
}

function fences(markdown: string): Fence[] {
  const lines = markdown.split('\n');
  const result: Fence[] = [];
  let lastText: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) {
      if (lines[i]!.trim() !== '') lastText = lines[i]!.trim();
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    const annotation = /^<!--\s*docs-test:\s*(.*?)\s*-->$/.exec(lastText ?? '')?.[1];
    result.push({ line: start + 1, lang: open[1]!, body: body.join('\n'), annotation });
    lastText = undefined;
  }
  return result;
}

/** Every ```yaml block of `markdown`, with its annotation and, for error blocks, the message. */
export function docExamples(markdown: string): DocExample[] {
  const all = fences(markdown);
  const examples: DocExample[] = [];
  all.forEach((fence, i) => {
    if (fence.lang !== 'yaml') return;
    const [mode, ...flags] = (fence.annotation ?? '').split(/\s+/).filter(Boolean);
    if (mode !== undefined && mode !== 'skip' && mode !== 'error') {
      throw new Error(`line ${fence.line}: unknown docs-test annotation "${fence.annotation}"`);
    }
    const example: DocExample = { line: fence.line, mode, flags, source: fence.body };
    if (fence.annotation !== undefined) example.annotation = fence.annotation;
    if (mode === 'error') {
      const next = all[i + 1];
      if (next?.lang !== 'text')
        throw new Error(`line ${fence.line}: an error example needs a \`\`\`text block after it`);
      example.expectedMessage = next.body;
    }
    examples.push(example);
  });
  return examples;
}

const SERVICE_KEYS = new Set([
  'service',
  'frameworkVersion',
  'plugins',
  'provider',
  'functions',
  'package',
]);

/**
 * The serverless.yml a block shows: a whole file, a fragment of one (`provider:`/`functions:`,
 * completed with a service name and the page's provider), or an `events:` list (given to a
 * function `hello` with handler `handler.hello`). Undefined for anything else.
 */
export function exampleConfig(source: string, provider: ProviderName): ServiceConfig | undefined {
  const document: unknown = yaml.load(source);
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    return undefined;
  const keys = Object.keys(document);
  if (keys.length === 1 && keys[0] === 'events') {
    return {
      service: 'docs-example',
      provider: { name: provider },
      functions: { hello: { handler: 'handler.hello', ...document } },
    };
  }
  if (keys.length === 0 || !keys.every((key) => SERVICE_KEYS.has(key))) return undefined;
  const config = document as Partial<ServiceConfig>;
  const providerSection =
    typeof config.provider === 'object' && config.provider !== null ? config.provider : {};
  return {
    ...config,
    service: config.service ?? 'docs-example',
    provider: { name: provider, ...providerSection },
  };
}

const FOREIGN_SOURCE: Record<string, (name: string) => string> = {
  python: (name) => `def ${name}(event, context):\n    return "ok"\n`,
  ruby: (name) => `def ${name}(event, context)\n  "ok"\nend\n`,
  php: (name) => `<?php\nfunction ${name}($event, $context) { return "ok"; }\n`,
  go: (name) =>
    `func ${name}(event functions.Event, context functions.Context) (string, error) {\n\treturn "ok", nil\n}\n`,
};

/** Writes a source file exporting each function's handler, in the language of its runtime. */
export function writeHandlerSources(config: ServiceConfig, directory: string): void {
  const provider = config.provider as Record<string, unknown>;
  const files = new Map<string, string[]>();
  for (const fn of Object.values(config.functions ?? {})) {
    if (typeof fn !== 'object' || fn === null) continue;
    const { handler, runtime } = fn as { handler?: unknown; runtime?: unknown };
    if (typeof handler !== 'string' || !handler.includes('.')) continue;
    const effectiveRuntime = String(
      runtime ?? provider.runtime ?? DEFAULT_RUNTIME[provider.name as ProviderName],
    );
    const family = runtimeFamily(effectiveRuntime);
    const extension = FOREIGN_RUNTIMES[family]?.extension ?? '.ts';
    const dot = handler.lastIndexOf('.');
    const file = `${handler.slice(0, dot)}${extension}`;
    const exportName = handler.slice(dot + 1);
    const source =
      FOREIGN_SOURCE[family]?.(exportName) ??
      `export async function ${exportName}(event: unknown) {\n  return event;\n}\n`;
    files.set(file, [...(files.get(file) ?? []), source]);
  }
  for (const [file, sources] of files) {
    mkdirSync(dirname(join(directory, file)), { recursive: true });
    writeFileSync(join(directory, file), sources.join('\n'));
  }
}

/** GitHub's anchor of a Markdown heading (github-slugger), `-1`, `-2`… for repeated ones. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^```/.test(line)) inFence = !inFence;
    const heading = inFence ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Relative links of a page, `file.md#anchor` split into file and anchor. */
export function relativeLinks(markdown: string): { file: string; anchor?: string }[] {
  return [...markdown.matchAll(/\]\((?!https?:)([^)#\s]*)(?:#([^)\s]+))?\)/g)].map((match) => ({
    file: match[1]!,
    ...(match[2] !== undefined ? { anchor: match[2] } : {}),
  }));
}

/**
 * True when `excerpt` is `actual` with some map keys left out (lists must match item by item):
 * what a page shows of a rendered manifest when it drops labels for brevity.
 */
export function isExcerptOf(excerpt: unknown, actual: unknown): boolean {
  if (Array.isArray(excerpt))
    return (
      Array.isArray(actual) &&
      excerpt.length === actual.length &&
      excerpt.every((item, i) => isExcerptOf(item, actual[i]))
    );
  if (typeof excerpt === 'object' && excerpt !== null)
    return (
      typeof actual === 'object' &&
      actual !== null &&
      !Array.isArray(actual) &&
      Object.entries(excerpt).every(
        ([key, value]) =>
          key in actual && isExcerptOf(value, (actual as Record<string, unknown>)[key]),
      )
    );
  return excerpt === actual;
}

/** Every map and list inside `value`, itself included. */
export function nodesOf(value: unknown): unknown[] {
  if (typeof value !== 'object' || value === null) return [];
  const children = Array.isArray(value) ? value : Object.values(value);
  return [value, ...children.flatMap(nodesOf)];
}
