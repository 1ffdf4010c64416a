// The runtime that runs next to a function's code in a ConfigMap (Knative default delivery) or a
// built image: `@serverless-k8s/runtime`'s CLI bundled by esbuild into ONE self-contained CommonJS
// file (cloudevents included), so a stock Node image runs it with no npm install.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../util/errors.js';

const RUNTIME_PACKAGE = '@serverless-k8s/runtime';
const RUNTIME_BIN = 'serverless-k8s-runtime';

let cached: Buffer | undefined;

/** Requires resolving from this module (CommonJS build or vitest), else from the service's plugin install. */
function resolvers(): NodeJS.Require[] {
  const list: NodeJS.Require[] = [];
  if (typeof __filename === 'string') list.push(createRequire(__filename));
  const fromCwd = createRequire(join(process.cwd(), 'package.json'));
  list.push(fromCwd);
  try {
    list.push(createRequire(fromCwd.resolve('serverless-k8s/package.json')));
  } catch {
    // serverless-k8s not installed in the working directory: the other resolvers remain.
  }
  return list;
}

function findPackageDir(req: NodeJS.Require): string | undefined {
  try {
    return dirname(req.resolve(`${RUNTIME_PACKAGE}/package.json`));
  } catch {
    // `exports` may hide package.json: walk up from the main entry instead.
  }
  try {
    let dir = dirname(req.resolve(RUNTIME_PACKAGE));
    for (let depth = 0; depth < 6; depth += 1) {
      const manifest = join(dir, 'package.json');
      if (
        existsSync(manifest) &&
        (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === RUNTIME_PACKAGE
      ) {
        return dir;
      }
      dir = dirname(dir);
    }
  } catch {
    // not resolvable through this require
  }
  return undefined;
}

/** Absolute path of the runtime's CLI entry (its `bin`, normally dist/cli.js). */
export function runtimeCliPath(): string {
  for (const req of resolvers()) {
    const dir = findPackageDir(req);
    if (!dir) continue;
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      bin?: string | Record<string, string>;
    };
    const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.[RUNTIME_BIN];
    const cli = join(dir, bin ?? 'dist/cli.js');
    if (!existsSync(cli)) {
      throw new UserError(
        `${RUNTIME_PACKAGE} at ${dir} is not built (${cli} is missing); run \`pnpm build\` in the workspace ` +
          'or reinstall serverless-k8s.',
      );
    }
    return cli;
  }
  throw new UserError(
    `${RUNTIME_PACKAGE} cannot be found; reinstall serverless-k8s (it depends on ${RUNTIME_PACKAGE}).`,
  );
}

/** The bundled runtime (built once per process; about 100-200 KiB). */
export function runtimeBundle(): Buffer {
  if (cached) return cached;
  // Required here, not imported at the top: Serverless loads the plugin for every command, and
  // only Knative packaging needs esbuild. render() is synchronous, hence require, not import().
  const { buildSync } = createRequire(__filename)('esbuild') as typeof import('esbuild');
  const result = buildSync({
    entryPoints: [runtimeCliPath()],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    keepNames: true,
    legalComments: 'eof',
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no output for the runtime bundle');
  cached = Buffer.from(output.contents);
  return cached;
}
