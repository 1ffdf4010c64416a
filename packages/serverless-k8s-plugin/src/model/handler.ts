// Resolving `handler: path/to/file.export` to a source file and checking, without running user
// code, that the file exports the name. The check is deliberately permissive: when the source
// does something a regular expression cannot follow (`export *`, `module.exports = build()`), it
// accepts, and the esbuild bundle step (which resolves real exports) has the last word.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Extensions tried, in order, for a Node.js handler module. */
export const NODE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

/** Source file extension and dependency file of the non-Node Kubeless runtimes (kubeless-config). */
export const FOREIGN_RUNTIMES: Record<string, { extension: string; depsFile: string }> = {
  python: { extension: '.py', depsFile: 'requirements.txt' },
  ruby: { extension: '.rb', depsFile: 'Gemfile' },
  php: { extension: '.php', depsFile: 'composer.json' },
  go: { extension: '.go', depsFile: 'go.mod' },
};

/** The runtime family (`nodejs`, `python`, …) of a Kubeless runtime id like `python3.8`. */
export function runtimeFamily(runtime: string): string {
  return /^[a-z]+/.exec(runtime)?.[0] ?? runtime;
}

export interface ResolvedHandler {
  file: string;
  exportName: string;
}

export type HandlerResult = { handler: ResolvedHandler } | { problem: string };

/** Splits `src/handler.hello` at the last dot and finds the file with one of the runtime's extensions. */
export function resolveHandler(raw: string, servicePath: string, runtime: string): HandlerResult {
  const dot = raw.lastIndexOf('.');
  const slash = raw.lastIndexOf('/');
  if (dot <= 0 || dot === raw.length - 1 || dot < slash) {
    return {
      problem: `"${raw}" must be <file path without extension>.<exported function>, e.g. src/handler.hello`,
    };
  }
  const base = raw.slice(0, dot);
  const exportName = raw.slice(dot + 1);
  const foreign = FOREIGN_RUNTIMES[runtimeFamily(runtime)];
  const extensions = foreign ? [foreign.extension] : NODE_EXTENSIONS;
  const file = extensions
    .map((ext) => base + ext)
    .find((candidate) => isFile(join(servicePath, candidate)));
  if (!file) {
    const wanted =
      extensions.length === 1 ? `${base}${extensions[0]}` : `${base}{${extensions.join(',')}}`;
    // A TypeScript handler next to a foreign runtime: the runtime, not the file, is the mistake.
    const nodeFile = foreign
      ? NODE_EXTENSIONS.map((ext) => base + ext).find((candidate) =>
          isFile(join(servicePath, candidate)),
        )
      : undefined;
    const hint = nodeFile
      ? ` (runtime ${runtime} runs ${base}${foreign?.extension}; ${nodeFile} needs a nodejs runtime)`
      : '';
    return {
      problem: `no file ${wanted} in ${servicePath}${hint}; create it or fix the path (relative to serverless.yml)`,
    };
  }
  const source = readFileSync(join(servicePath, file), 'utf8');
  const exported = foreign
    ? definesFunction(source, exportName, runtimeFamily(runtime))
    : mayExport(source, exportName);
  if (!exported) {
    return {
      problem: `${file} does not export "${exportName}"; add \`export async function ${exportName}(event, context) {…}\` or change the handler to one of its exports`,
    };
  }
  return { handler: { file, exportName } };
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

function escape(name: string): string {
  return name.replace(/[$]/g, '\\$');
}

/** Static check of ESM/CJS exports: true when `name` is (or may be) exported. */
export function mayExport(source: string, name: string): boolean {
  const code = stripComments(source);
  // Anything dynamic: cannot tell statically, so let the bundler decide.
  if (/export\s*\*\s*from/.test(code) || /module\.exports\s*=\s*(?![\s{])/.test(code)) return true;
  const n = escape(name);
  if (name === 'default' && /export\s+default\b/.test(code)) return true;
  const patterns = [
    new RegExp(`export\\s+(?:declare\\s+)?(?:async\\s+)?function\\s*\\*?\\s*${n}\\b`),
    new RegExp(`export\\s+(?:declare\\s+)?(?:const|let|var|class)\\s+${n}\\b`),
    new RegExp(`export\\s+(?:const|let|var)\\s+[^;]*?,\\s*${n}\\s*=`),
    new RegExp(`(?:module\\.)?exports\\.${n}\\s*=`),
    new RegExp(`(?:module\\.)?exports\\[\\s*['"\`]${n}['"\`]\\s*\\]\\s*=`),
    new RegExp(`Object\\.defineProperty\\(\\s*(?:module\\.)?exports\\s*,\\s*['"\`]${n}['"\`]`),
  ];
  if (patterns.some((pattern) => pattern.test(code))) return true;
  // export { a, b as name } [from '…'] and module.exports = { a, name: x, name() {} }
  for (const match of code.matchAll(/export\s*(?:type\s*)?\{([^}]*)\}/g)) {
    if (listExports(match[1]!).includes(name)) return true;
  }
  for (const match of code.matchAll(/module\.exports\s*=\s*\{([\s\S]*?)\}\s*;?\s*$/gm)) {
    if (objectKeys(match[1]!).includes(name)) return true;
  }
  return false;
}

function listExports(list: string): string[] {
  return list
    .split(',')
    .map((part) => part.trim().replace(/^type\s+/, ''))
    .filter(Boolean)
    .map((part) => {
      const alias = /\bas\s+([\w$]+|['"][^'"]+['"])$/.exec(part);
      return (alias ? alias[1]! : part).replace(/['"]/g, '');
    });
}

function objectKeys(body: string): string[] {
  const keys: string[] = [];
  for (const match of body.matchAll(
    /(?:^|,|\{)\s*(?:async\s+)?['"]?([\w$]+)['"]?\s*(?=[:,(}]|$)/g,
  )) {
    keys.push(match[1]!);
  }
  return keys;
}

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

function definesFunction(source: string, name: string, family: string): boolean {
  const n = escape(name);
  const patterns: Record<string, RegExp> = {
    python: new RegExp(`^\\s*(?:async\\s+)?def\\s+${n}\\s*\\(`, 'm'),
    ruby: new RegExp(`^\\s*def\\s+(?:self\\.)?${n}\\b`, 'm'),
    php: new RegExp(`function\\s+${n}\\s*\\(`),
    go: new RegExp(`^func\\s+${n}\\s*\\(`, 'm'),
  };
  return patterns[family]?.test(source) ?? true;
}
