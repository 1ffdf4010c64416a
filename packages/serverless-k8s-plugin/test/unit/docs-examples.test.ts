// The docs stay true to the code: every serverless.yml example on docs/kubeless.md,
// docs/knative.md and the migration guides passes the framework's schema validation and normalize(); every example shown
// as an error fails with the message the page prints; every key of the Kubeless provider schema
// has its section on docs/kubeless.md. (docs-yaml.ts describes the annotations.)
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { providerSchema } from '../../src/config/schema.js';
import { normalize } from '../../src/model/normalize.js';
import type { ProviderName } from '../../src/model/types.js';
import yaml from 'js-yaml';
import {
  docExamples,
  exampleConfig,
  headingAnchors,
  isExcerptOf,
  nodesOf,
  relativeLinks,
  writeHandlerSources,
  type DocExample,
} from './docs-yaml.js';
import { useSchemaCache, validateWithFramework } from './framework-schema.js';
import { GOLDEN_DIR, inputFrom } from './service-fixtures.js';

const readPage = (name: string) =>
  readFileSync(new URL(`../../../../docs/${name}`, import.meta.url), 'utf8');
const page = readPage('kubeless.md');

useSchemaCache();
const workRoot = mkdtempSync(join(tmpdir(), 'sk8s-docs-'));
afterAll(() => rmSync(workRoot, { recursive: true, force: true }));

/** The messages the framework and normalize() report for an example (none when it is valid). */
async function problemsOf(file: string, provider: ProviderName, example: DocExample) {
  const config = exampleConfig(example.source, provider);
  if (!config)
    throw new Error(`docs/${file}:${example.line} is not a serverless.yml (annotate it skip)`);
  const directory = mkdtempSync(join(workRoot, `line-${example.line}-`));
  if (!example.flags.includes('without-sources')) writeHandlerSources(config, directory);
  const messages: string[] = [];
  try {
    await validateWithFramework(config);
  } catch (error) {
    messages.push((error as Error).message);
  }
  try {
    normalize(inputFrom(config, directory));
  } catch (error) {
    messages.push((error as Error).message);
  }
  return { directory, messages };
}

const PAGES: [file: string, provider: ProviderName, minimumExamples: number][] = [
  ['kubeless.md', 'kubeless', 40],
  ['knative.md', 'knative', 10],
  ['migrate-from-serverless-kubeless.md', 'kubeless', 3],
  ['migrate-from-serverless-knative.md', 'knative', 3],
];

describe.each(PAGES)('docs/%s examples', (file, provider, minimumExamples) => {
  const checked = docExamples(readPage(file)).filter((example) => example.mode !== 'skip');

  it('has the examples this test expects to check', () => {
    expect(checked.length).toBeGreaterThanOrEqual(minimumExamples);
  });

  it.each(checked.map((example) => [example.line, example] as const))(
    'line %i',
    async (_line, example) => {
      const { directory, messages } = await problemsOf(file, provider, example);
      if (example.mode !== 'error') {
        expect(messages).toEqual([]);
        return;
      }
      expect(messages, 'an error example must fail').not.toEqual([]);
      const reported = messages.join('\n');
      for (const expectedLine of example.expectedMessage!.split('\n')) {
        if (expectedLine.trim() === '') continue;
        expect(reported).toContain(expectedLine.replace('<service directory>', directory));
      }
    },
  );
});

describe('docs/kubeless.md rendered manifests are excerpts of the golden files', () => {
  const manifests = docExamples(page).flatMap((example) => {
    const golden = /test\/unit\/golden\/(\S+?\.yaml)/.exec(example.annotation ?? '')?.[1];
    return golden === undefined ? [] : [[example.line, golden, example.source] as const];
  });
  it('has manifests to compare', () => expect(manifests.length).toBeGreaterThanOrEqual(3));
  it.each(manifests)('line %i (golden/%s)', (_line, golden, source) => {
    const rendered = yaml.loadAll(readFileSync(join(GOLDEN_DIR, golden), 'utf8')).flatMap(nodesOf);
    for (const document of yaml.loadAll(source)) {
      expect(rendered.some((node) => isExcerptOf(document, node))).toBe(true);
    }
  });
});

it('docs/kubeless.md shows errors as well as valid examples', () => {
  const errors = docExamples(page).filter((example) => example.mode === 'error');
  expect(errors.length).toBeGreaterThan(5);
});

describe('docs/kubeless.md covers every key', () => {
  const schema = providerSchema('kubeless');
  const headings = page.split('\n').filter((text) => text.startsWith('#'));
  const hasHeading = (code: string) => headings.some((text) => text.includes(`\`${code}\``));
  // Keys of the shared schema that only the Knative provider takes: the page names them as rejected.
  const knativeOnly = [
    'nodeImage',
    'createBroker',
    'allowZeroInitialScale',
    'concurrency',
    'traffic',
    'visibility',
    'build',
  ];

  it.each(Object.keys(schema.provider.properties))('provider.%s', (key) => {
    if (knativeOnly.includes(key)) expect(page).toContain(`\`provider.${key}\``);
    else expect(hasHeading(`provider.${key}`)).toBe(true);
  });

  it.each(['name', 'events', ...Object.keys(schema.function.properties)])(
    'functions.*.%s',
    (key) => {
      if (knativeOnly.includes(key)) expect(page).toContain(`\`${key}\``);
      else expect(hasHeading(key)).toBe(true);
    },
  );

  it.each(Object.keys(schema.functionEvents))('event %s', (type) => {
    if (type === 'cloudEvent') expect(page).toContain('`cloudEvent`');
    else expect(hasHeading(type)).toBe(true);
  });

  const ingress = schema.provider.properties.ingress as { properties: Record<string, unknown> };
  it.each(Object.keys(ingress.properties))('provider.ingress.%s', (key) => {
    expect(page).toContain(`\`${key}\``);
  });
});

describe.each([
  'kubeless.md',
  'reference.md',
  'migrate-from-serverless-kubeless.md',
  'migrate-from-serverless-knative.md',
  'troubleshooting.md',
  'serve.md',
])('docs/%s links', (file) => {
  const links = relativeLinks(readPage(file));
  it('links to other sections', () => expect(links.length).toBeGreaterThan(0));
  it.each(links.map((link) => [`${link.file}#${link.anchor ?? ''}`, link] as const))(
    '%s',
    (_title, link) => {
      const target = link.file === '' ? file : link.file;
      expect(existsSync(new URL(`../../../../docs/${target}`, import.meta.url))).toBe(true);
      if (link.anchor !== undefined && target.endsWith('.md'))
        expect([...headingAnchors(readPage(target))]).toContain(link.anchor);
    },
  );
});

describe('docs/reference.md lists every key of the schema', () => {
  const rows = readPage('reference.md')
    .split('\n')
    .filter((line) => line.startsWith('| `'));
  // `filter.attributes` documents `filter` with its only key.
  const hasRow = (key: string) =>
    rows.some((row) => row.startsWith(`| \`${key}\``) || row.startsWith(`| \`${key}.`));
  const schema = providerSchema('kubeless');
  const nested = (properties: Record<string, unknown>, key: string) =>
    Object.keys((properties[key] as { properties: Record<string, unknown> }).properties);
  const keys = [
    ...Object.keys(schema.provider.properties),
    ...nested(schema.provider.properties, 'ingress'),
    ...Object.keys(schema.function.properties),
    ...nested(schema.function.properties, 'autoscaling'),
    ...Object.keys(schema.functionEvents),
    // The keys of each event's long form (`anyOf: [string, …, { properties }]`).
    ...Object.values(schema.functionEvents).flatMap((event) =>
      ((event as { anyOf?: { properties?: Record<string, unknown> }[] }).anyOf ?? []).flatMap(
        (form) => Object.keys(form.properties ?? {}),
      ),
    ),
  ];
  it.each(keys)('%s', (key) => expect(hasRow(key)).toBe(true));
});
