// Generates a Serverless service of N TypeScript functions for the deploy benchmark. Each handler
// imports a small local module (and a type from the runtime SDK, erased by esbuild), so bundling
// resolves, transpiles and links real code rather than copying one file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';

export const SERVICE_NAME = 'bench';

const FORMAT_MODULE = `import { createHash } from 'node:crypto';

export interface Greeting {
  message: string;
  id: string;
  at: string;
}

/** A short stable id of the input, so the reply can be checked. */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value ?? null)).digest('hex').slice(0, 12);
}

export function greet(name: unknown, from: string): Greeting {
  const who = typeof name === 'string' && name.trim() !== '' ? name.trim() : 'world';
  return { message: \`Hello, \${who}! (\${from})\`, id: fingerprint(who), at: new Date().toISOString() };
}
`;

function handlerSource(index) {
  return `import type { Handler } from '@serverless-k8s/runtime';
import { greet, type Greeting } from './lib/format.js';

interface Input {
  name?: unknown;
}

/** Function ${index} of the benchmark service. */
export const handle: Handler<Input, Greeting> = (event) => greet(event.data?.name, 'fn${index}');
`;
}

/** `functions:` of serverless.yml for N functions, each with one HTTP trigger unless `http` is false. */
export function functionsConfig(count, { http = true } = {}) {
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => [
      `fn${i + 1}`,
      {
        handler: `src/fn${i + 1}.handle`,
        ...(http ? { events: [{ http: { path: `/fn${i + 1}` } }] } : {}),
      },
    ]),
  );
}

/**
 * Writes the service to `dir`: package.json, src/lib/format.ts, src/fn<i>.ts and a serverless.yml
 * for kubeless with this plugin, or (`frameworkPackaging`) for the aws provider without it, whose
 * packaging is the framework's own zip of the service directory (no HTTP events: aws would want
 * a method for them, and they play no part in packaging). `namespace` sets provider.namespace.
 */
export function writeService(dir, count, { frameworkPackaging = false, namespace } = {}) {
  mkdirSync(join(dir, 'src', 'lib'), { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: `bench-${count}`, version: '0.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  writeFileSync(join(dir, 'src', 'lib', 'format.ts'), FORMAT_MODULE);
  for (let i = 1; i <= count; i++) writeFileSync(join(dir, 'src', `fn${i}.ts`), handlerSource(i));
  const config = {
    service: SERVICE_NAME,
    frameworkVersion: '3',
    provider: {
      name: frameworkPackaging ? 'aws' : 'kubeless',
      ...(namespace ? { namespace } : {}),
    },
    ...(frameworkPackaging ? {} : { plugins: ['serverless-k8s'] }),
    functions: functionsConfig(count, { http: !frameworkPackaging }),
  };
  writeFileSync(join(dir, 'serverless.yml'), yaml.dump(config));
}
