// Packaging against real esbuild and archiver: the bundle runs, is reproducible, keeps
// dependencies external on request, and fails with the function's key and a fix.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { normalize } from '../../src/model/normalize.js';
import {
  KUBELESS_CODE_LIMIT_BYTES,
  packageFunctions,
  writeManifests,
} from '../../src/packaging/index.js';
import { zipFiles } from '../../src/packaging/zip.js';
import { nodeTarget } from '../../src/packaging/bundle.js';
import { UserError } from '../../src/util/errors.js';
import { FIXTURES_DIR, normalizeFixture } from './service-fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'sk8s-packaging-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A throwaway service directory with the given files. */
function service(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), content);
  }
  return dir;
}

function modelFor(
  servicePath: string,
  functions: Record<string, unknown>,
  provider: Record<string, unknown> = {},
) {
  return normalize({
    service: 'pkg',
    stage: 'dev',
    servicePath,
    provider: { name: 'kubeless', ...provider },
    functions,
  });
}

describe('packageFunctions', () => {
  it('bundles a TypeScript handler with its imports into CommonJS that runs', async () => {
    const model = normalizeFixture('kubeless-full');
    const out = join(tmp, 'full');
    const artifacts = await packageFunctions(model, model.functions, out);
    const api = artifacts.get('api')!;
    expect(api.moduleFileName).toBe('api.js');
    expect(Object.keys(api.files).sort()).toEqual(['api.js', 'api.js.map']);
    expect(api.bundleDir).toBe(join(out, 'api'));
    const code = api.files['api.js']!.toString();
    expect(code).toContain('//# sourceMappingURL=api.js.map');
    expect(code).not.toMatch(/require\(["']\.\/lib\/format/);
    const map = JSON.parse(api.files['api.js.map']!.toString()) as { sources: string[] };
    expect(map.sources.some((source) => source.endsWith('src/lib/format.ts'))).toBe(true);
    // What the runtime does: require the module from disk and call the export.
    const loaded = createRequire(import.meta.url)(join(api.bundleDir!, api.moduleFileName)) as {
      handle(event: unknown): Promise<unknown>;
    };
    await expect(loaded.handle({ data: { cents: 1999 } })).resolves.toEqual({ price: '19.99 EUR' });
    expect(readFileSync(join(out, 'api.zip')).equals(api.zip)).toBe(true);
    expect(api.checksum).toBe(`sha256:${createHash('sha256').update(api.zip).digest('hex')}`);
  });

  it('keeps dependencies external and sends package.json as deps when asked', async () => {
    const model = normalizeFixture('kubeless-full');
    const report = model.functions.find((fn) => fn.key === 'report')!;
    const artifact = (await packageFunctions(model, [report], join(tmp, 'external'))).get(
      'report',
    )!;
    expect(artifact.files['report.js']!.toString()).toMatch(/require\(["']left-pad["']\)/);
    expect(JSON.parse(artifact.deps)).toEqual({
      name: 'shop',
      version: '1.2.3',
      dependencies: { 'left-pad': '^1.3.0' },
    });
    expect(artifact.files['package.json']!.toString()).toBe(artifact.deps);
  });

  it('bundles dependencies by default', async () => {
    const dir = service('bundled-deps', {
      'node_modules/greeting/package.json': '{"name":"greeting","main":"index.js"}',
      'node_modules/greeting/index.js': 'exports.greet = (name) => `hi ${name}`;',
      'handler.ts': "import { greet } from 'greeting';\nexport const hello = () => greet('k8s');\n",
    });
    const model = modelFor(dir, { hello: { handler: 'handler.hello' } });
    const artifact = (await packageFunctions(model, model.functions, join(dir, '.serverless'))).get(
      'hello',
    )!;
    expect(artifact.deps).toBe('');
    const code = artifact.files['hello.js']!.toString();
    expect(code).not.toMatch(/require\(["']greeting["']\)/);
    const loaded = createRequire(import.meta.url)(join(artifact.bundleDir!, 'hello.js')) as {
      hello(): string;
    };
    expect(loaded.hello()).toBe('hi k8s');
  });

  it('marks the bundle directory CommonJS in a "type": "module" service, outside the zip', async () => {
    const dir = service('esm-service', {
      'package.json': '{"name":"esm-service","type":"module"}',
      'handler.ts': "export const hello = () => 'from cjs';\n",
    });
    const model = modelFor(dir, { hello: { handler: 'handler.hello' } });
    const artifact = (await packageFunctions(model, model.functions, join(dir, '.serverless'))).get(
      'hello',
    )!;
    expect(Object.keys(artifact.files).sort()).toEqual(['hello.js', 'hello.js.map']);
    expect(JSON.parse(readFileSync(join(artifact.bundleDir!, 'package.json'), 'utf8'))).toEqual({
      type: 'commonjs',
    });
    // How `invoke local` and `serve` load it: without the marker Node would read it as ESM.
    const loaded = (await import(pathToFileURL(join(artifact.bundleDir!, 'hello.js')).href)) as {
      default: { hello(): string };
    };
    expect(loaded.default.hello()).toBe('from cjs');
  });

  it('produces the same zip and checksum for the same code (deterministic)', async () => {
    const model = normalizeFixture('kubeless-minimal');
    const first = (await packageFunctions(model, model.functions, join(tmp, 'det-1'))).get(
      'hello',
    )!;
    const second = (await packageFunctions(model, model.functions, join(tmp, 'det-2'))).get(
      'hello',
    )!;
    expect(second.checksum).toBe(first.checksum);
    expect(second.zip.equals(first.zip)).toBe(true);
    const reordered = await zipFiles({ b: Buffer.from('2'), a: Buffer.from('1') });
    expect(reordered.equals(await zipFiles({ a: Buffer.from('1'), b: Buffer.from('2') }))).toBe(
      true,
    );
  });

  it('copies non-Node handlers as written with their dependency file', async () => {
    const model = normalizeFixture('sk-python-http');
    const artifact = (await packageFunctions(model, model.functions, join(tmp, 'python'))).get(
      'hello-http',
    )!;
    expect(artifact.moduleFileName).toBe('handler.py');
    expect(artifact.files['handler.py']!.toString()).toBe(
      readFileSync(join(FIXTURES_DIR, 'sk-python-http/handler.py'), 'utf8'),
    );
    expect(artifact.deps).toBe('requests==2.31.0\n');
  });

  it('reports a bundling error with the function key, the location and a fix', async () => {
    const dir = service('broken', {
      'handler.ts': "import { missing } from './nowhere';\nexport const hello = () => missing;\n",
      'other.ts': 'export const ok = (;\n',
    });
    const model = modelFor(dir, {
      hello: { handler: 'handler.hello' },
      other: { handler: 'other.ok' },
    });
    const error = await packageFunctions(model, model.functions, join(dir, '.serverless')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    const message = (error as Error).message;
    expect(message).toContain('Packaging failed for 2 function(s)');
    expect(message).toContain('functions.hello.handler: bundling handler.ts failed');
    expect(message).toContain('Could not resolve "./nowhere"');
    expect(message).toContain('Fix: install the missing package');
    expect(message).toMatch(
      /functions\.other\.handler: bundling other\.ts failed:\n\s+other\.ts:1:\d+: /,
    );
  });

  it('lets esbuild reject an export the static check could not rule out', async () => {
    // `export *` defeats the static check; esbuild resolves the real exports.
    const dir = service('reexport', {
      'handler.ts': "export * from './impl';\n",
      'impl.ts': 'export const other = 1;\n',
    });
    const model = modelFor(dir, { hello: { handler: 'handler.hello' } });
    const message = await packageFunctions(model, model.functions, join(dir, '.serverless')).catch(
      (e: Error) => e.message,
    );
    expect(message).toContain('functions.hello.handler');
    expect(message).toContain('No matching export');
    expect(message).toContain('Fix: export "hello" from handler.ts');
  });

  it('refuses a Function over the 1 MiB ConfigMap limit with the size and the ways out', async () => {
    // 2.4 MB of random hex deflates to ~1.2 MB: ~1.6 MiB as base64.
    const blob = randomBytes(1_200_000).toString('hex');
    const dir = service('big', {
      'handler.ts': `const blob = ${JSON.stringify(blob)};\nexport const hello = () => blob.length;\n`,
    });
    const model = modelFor(dir, { hello: { handler: 'handler.hello' } });
    const message = await packageFunctions(model, model.functions, join(dir, '.serverless')).catch(
      (e: Error) => e.message,
    );
    expect(message).toMatch(/functions\.hello\.handler: the code is \d+\.\d\d MiB/);
    expect(message).toContain('limited to 1 MiB');
    expect(message).toContain('externalDependencies: true');
    expect(message).toContain('functions.hello.image');
    expect(KUBELESS_CODE_LIMIT_BYTES).toBe(1048576);
  });

  it("targets the Node.js version of the function's runtime or image", () => {
    const kubeless = normalizeFixture('sk-events');
    expect(nodeTarget(kubeless, kubeless.functions[0]!)).toBe('node14');
    const knative = normalizeFixture('knative-model');
    expect(nodeTarget(knative, knative.functions[0]!)).toBe('node24');
    expect(
      nodeTarget({ ...knative, nodeImage: 'registry.local/runner:stable' }, knative.functions[0]!),
    ).toBe('node20');
  });

  it('writes manifests as multi-document YAML', async () => {
    const file = join(tmp, 'manifests', 'out.yaml');
    await writeManifests(
      [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } },
      ],
      file,
    );
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(
      '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n',
    );
  });
});
