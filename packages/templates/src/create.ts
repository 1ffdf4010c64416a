// Creates a project from one of the templates: copies it and names the service after the
// directory (as `serverless create --template-path … --path …  --name …` does).
import { cp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPLATES = {
  'kubeless-typescript': 'an HTTP function on Kubeless',
  'knative-typescript': 'an HTTP function on Knative Serving (scale to zero, no registry needed)',
  'knative-cloudevents-typescript':
    'a CloudEvents function on a Knative Broker, replying with an event',
} as const;

export type TemplateName = keyof typeof TEMPLATES;

const DEFAULT_GITIGNORE = 'node_modules/\n.serverless/\ncoverage/\n';

/** A mistake in the arguments, reported without a stack trace. */
export class CreateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CreateError';
  }
}

/** Directory holding the templates (next to src/ and dist/ alike). */
export const templatesDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'templates',
);

export function isTemplateName(name: string): name is TemplateName {
  return Object.hasOwn(TEMPLATES, name);
}

/**
 * A service name Kubernetes accepts (a DNS-1123 label: it becomes part of object names and
 * labels): lower case, `-` for anything else, at most 63 characters.
 */
export function serviceNameFrom(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

async function isEmptyOrMissing(directory: string): Promise<boolean> {
  try {
    if (!(await stat(directory)).isDirectory()) return false;
    return (await readdir(directory)).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}

export interface CreateOptions {
  template: string;
  directory: string;
  /** Service name; from the directory's name by default. */
  name?: string;
}

export interface CreatedProject {
  directory: string;
  name: string;
  template: TemplateName;
}

export async function createProject(options: CreateOptions): Promise<CreatedProject> {
  const { template } = options;
  if (!isTemplateName(template)) {
    throw new CreateError(
      `Unknown template "${template}". Templates: ${Object.keys(TEMPLATES).join(', ')}.`,
    );
  }
  const directory = path.resolve(options.directory);
  const name = serviceNameFrom(options.name ?? path.basename(directory));
  if (name === '') {
    throw new CreateError(
      `Cannot make a service name from "${options.name ?? path.basename(directory)}": give one with --name (lower-case letters, digits and -, starting with a letter).`,
    );
  }
  if (!(await isEmptyOrMissing(directory))) {
    throw new CreateError(`${directory} exists and is not empty; choose a new directory.`);
  }
  await cp(path.join(templatesDir, template), directory, {
    recursive: true,
    filter: (source) => !['node_modules', '.serverless'].includes(path.basename(source)),
  });
  // npm leaves .gitignore files out of published packages, so the installed templates lack theirs.
  const ignoreFile = path.join(directory, '.gitignore');
  if (!(await stat(ignoreFile).catch(() => undefined)))
    await writeFile(ignoreFile, DEFAULT_GITIGNORE);

  const serviceFile = path.join(directory, 'serverless.yml');
  const yaml = await readFile(serviceFile, 'utf8');
  await writeFile(serviceFile, yaml.replace(/^service: .*$/m, `service: ${name}`));
  const packageFile = path.join(directory, 'package.json');
  const manifest = JSON.parse(await readFile(packageFile, 'utf8')) as Record<string, unknown>;
  await writeFile(packageFile, `${JSON.stringify({ ...manifest, name }, null, 2)}\n`);
  return { directory, name, template };
}
