#!/usr/bin/env node
// npx @serverless-k8s/templates create <template> <dir> [--name NAME] | list
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CreateError, TEMPLATES, createProject } from './create.js';

const USAGE = `Usage:
  npx @serverless-k8s/templates create <template> <dir> [--name NAME]
  npx @serverless-k8s/templates list

Templates:
${Object.entries(TEMPLATES)
  .map(([name, description]) => `  ${name.padEnd(32)} ${description}`)
  .join('\n')}`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: { name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
  const [command, template, directory, ...extra] = parsed.positionals;
  if (parsed.values.help || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command === 'list') {
    process.stdout.write(`${Object.keys(TEMPLATES).join('\n')}\n`);
    return;
  }
  if (
    command !== 'create' ||
    template === undefined ||
    directory === undefined ||
    extra.length > 0
  ) {
    fail(USAGE);
  }
  try {
    const created = await createProject({ template, directory, name: parsed.values.name });
    const shown = path.relative(process.cwd(), created.directory) || '.';
    process.stdout.write(
      [
        `Created service "${created.name}" in ${shown} from ${created.template}.`,
        '',
        'Next:',
        `  cd ${shown}`,
        '  npm install',
        '  npm test                   # the handler through the runtime, no cluster',
        '  npx serverless serve       # every function on http://127.0.0.1:3000, reloads on save',
        '  npx serverless deploy      # to the cluster of your current kubeconfig context',
        '',
      ].join('\n'),
    );
  } catch (error) {
    if (error instanceof CreateError) fail(error.message);
    throw error;
  }
}

void main();
