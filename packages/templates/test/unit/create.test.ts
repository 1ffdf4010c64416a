// The newcomer's path: a project created from each template installs (here: the workspace's
// packages linked in as node_modules), typechecks, passes its own test and packages without edits.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMPLATES, createProject, serviceNameFrom, templatesDir } from '../../src/create.js';

const run = promisify(execFile);
const packageDir = path.resolve(import.meta.dirname, '../..');
const modules = path.join(packageDir, 'node_modules');
const serverlessCli = path.join(modules, 'serverless', 'bin', 'serverless.js');
const SLS_ENV = { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' };

/** Per template: the function to call, the CLI arguments, the body it answers. */
const INVOKE_LOCAL: Record<string, { fn: string; args: string[]; reply: unknown }> = {
  'kubeless-typescript': {
    fn: 'hello',
    args: ['-d', '{"name":"Ada"}'],
    reply: { message: 'Hello, Ada!' },
  },
  'knative-typescript': {
    fn: 'hello',
    args: ['--http-path', '/?name=Grace'],
    reply: { message: 'Hello, Grace!' },
  },
  'knative-cloudevents-typescript': {
    fn: 'order-created',
    args: ['-d', '{"id":"o-1","total":5}', '--cloudevent', '--type', 'com.example.order.created'],
    reply: { orderId: 'o-1' },
  },
};

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'sk8s-templates-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('createProject', () => {
  it('copies the template and names the service after the directory', async () => {
    const created = await createProject({
      template: 'kubeless-typescript',
      directory: path.join(workDir, 'My_Orders'),
    });
    expect(created.name).toBe('my-orders');
    const files = await readdir(created.directory, { recursive: true });
    expect(files.sort()).toEqual(
      [
        '.gitignore',
        'package.json',
        'serverless.yml',
        'src',
        'src/handler.ts',
        'test',
        'test/handler.test.ts',
        'tsconfig.json',
      ].sort(),
    );
    expect(await readFile(path.join(created.directory, 'serverless.yml'), 'utf8')).toMatch(
      /^service: my-orders$/m,
    );
    expect(
      JSON.parse(await readFile(path.join(created.directory, 'package.json'), 'utf8')).name,
    ).toBe('my-orders');
  });

  it('refuses an unknown template, a non-empty directory and a name Kubernetes cannot take', async () => {
    await expect(
      createProject({ template: 'aws-nodejs', directory: path.join(workDir, 'x') }),
    ).rejects.toThrow(
      'Unknown template "aws-nodejs". Templates: kubeless-typescript, knative-typescript, knative-cloudevents-typescript.',
    );
    const occupied = path.join(workDir, 'occupied');
    await mkdir(occupied);
    await writeFile(path.join(occupied, 'file'), '');
    await expect(
      createProject({ template: 'knative-typescript', directory: occupied }),
    ).rejects.toThrow(/exists and is not empty/);
    await expect(
      createProject({ template: 'knative-typescript', directory: path.join(workDir, '123') }),
    ).rejects.toThrow(/Cannot make a service name from "123": give one with --name/);
  });

  it('turns directory names into DNS-1123 service names', () => {
    expect(serviceNameFrom('Hello World!')).toBe('hello-world');
    expect(serviceNameFrom('--9lives')).toBe('lives');
    expect(serviceNameFrom('a'.repeat(70))).toHaveLength(63);
  });
});

describe('the templates', () => {
  it('depend on the versions of the packages this workspace publishes', async () => {
    const versionOf = async (dir: string) =>
      (
        JSON.parse(await readFile(path.join(modules, dir, 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version;
    const runtime = `^${await versionOf('@serverless-k8s/runtime')}`;
    const plugin = `^${await versionOf('serverless-k8s')}`;
    for (const template of Object.keys(TEMPLATES)) {
      const manifest = JSON.parse(
        await readFile(path.join(templatesDir, template, 'package.json'), 'utf8'),
      ) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
      expect(manifest.dependencies['@serverless-k8s/runtime'], template).toBe(runtime);
      expect(manifest.devDependencies['serverless-k8s'], template).toBe(plugin);
      expect(manifest.devDependencies.serverless, template).toBe('3.40.0');
    }
  });
});

describe('the bin', () => {
  const cli = path.join(packageDir, 'dist', 'cli.js');

  it('creates a project and prints the next steps', async () => {
    const { stdout } = await run(
      process.execPath,
      [cli, 'create', 'knative-typescript', 'from-bin', '--name', 'greeter'],
      { cwd: workDir },
    );
    expect(stdout).toContain('Created service "greeter" in from-bin from knative-typescript.');
    expect(stdout).toContain('npx serverless deploy');
    expect(await readFile(path.join(workDir, 'from-bin', 'serverless.yml'), 'utf8')).toMatch(
      /^service: greeter$/m,
    );
  });

  it('lists the templates and fails with the usage on bad arguments', async () => {
    expect((await run(process.execPath, [cli, 'list'])).stdout.trim().split('\n')).toEqual(
      Object.keys(TEMPLATES),
    );
    await expect(
      run(process.execPath, [cli, 'create', 'kubeless-typescript']),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Usage:'),
    });
  });
});

describe('serverless create --template-path', () => {
  it('creates the same project with the framework', async () => {
    const target = path.join(workDir, 'via-framework');
    await run(
      process.execPath,
      [
        serverlessCli,
        'create',
        '--template-path',
        path.join(templatesDir, 'knative-cloudevents-typescript'),
        '--path',
        target,
        '--name',
        'orders',
      ],
      {
        cwd: workDir,
        env: SLS_ENV,
      },
    );
    expect(await readFile(path.join(target, 'serverless.yml'), 'utf8')).toMatch(
      /^service: orders$/m,
    );
    expect(existsSync(path.join(target, 'src', 'handler.ts'))).toBe(true);
    expect(existsSync(path.join(target, '.gitignore'))).toBe(true);
  }, 60_000);
});

describe.each(Object.keys(TEMPLATES))('a fresh %s project', (template) => {
  let project: string;
  beforeAll(async () => {
    project = (
      await createProject({ template, directory: path.join(workDir, `fresh-${template}`) })
    ).directory;
    // What `npm install` provides, from this workspace (no registry needed).
    await symlink(modules, path.join(project, 'node_modules'), 'dir');
  });

  it('typechecks and passes its own test', async () => {
    await run(process.execPath, [path.join(modules, 'typescript', 'bin', 'tsc'), '-p', project], {
      cwd: project,
    });
    const { stdout } = await run(
      process.execPath,
      [path.join(modules, 'vitest', 'vitest.mjs'), 'run', '--reporter=json'],
      { cwd: project },
    );
    const report = JSON.parse(stdout) as { numPassedTests: number; numFailedTests: number };
    expect(report.numFailedTests).toBe(0);
    expect(report.numPassedTests).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('packages without edits', async () => {
    await run(process.execPath, [serverlessCli, 'package'], { cwd: project, env: SLS_ENV });
    const name = path.basename(project);
    const manifests = await readFile(path.join(project, '.serverless', `${name}-dev.yaml`), 'utf8');
    const kinds = [...manifests.matchAll(/^kind: (\w+)$/gm)].map((match) => match[1]).sort();
    expect(kinds).toEqual(
      template === 'kubeless-typescript'
        ? ['Function', 'HTTPTrigger']
        : template === 'knative-typescript'
          ? ['ConfigMap', 'Service']
          : ['Broker', 'ConfigMap', 'Service', 'Trigger'],
    );
  }, 120_000);

  it('answers `serverless invoke local` from its bundle', async () => {
    // A `"type": "module"` project: the CommonJS bundle must still load from .serverless/.
    const { fn, args, reply } = INVOKE_LOCAL[template]!;
    const { stdout } = await run(
      process.execPath,
      [serverlessCli, 'invoke', 'local', '-f', fn, ...args],
      { cwd: project, env: SLS_ENV },
    );
    expect(JSON.parse(stdout)).toEqual(reply);
  }, 120_000);
});
