// The plugin class against a stand-in for the framework object: which providers and hooks it
// registers, that it takes the framework's zip packaging out, and how errors leave a hook.
// (test/e2e/cli-local.test.ts runs the same class inside the real serverless CLI.)
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import ServerlessK8sPlugin from '../../src/index.js';
import type { PluginUtils } from '../../src/commands/context.js';

class FrameworkError extends Error {}

function fakeServerless(
  providerName: string,
  serviceDir: string,
  functions: Record<string, unknown> = {},
) {
  const defined: string[] = [];
  const providers: Record<string, unknown> = {};
  const hooks: Record<string, { pluginName: string }[]> = {
    'package:createDeploymentArtifacts': [{ pluginName: 'Package' }, { pluginName: 'OtherPlugin' }],
  };
  const serverless = {
    service: { service: 'shop', provider: { name: providerName }, functions },
    serviceDir,
    processedInput: { commands: ['package'] },
    configSchemaHandler: { defineProvider: (name: string) => defined.push(name) },
    setProvider: (name: string, provider: unknown) => (providers[name] = provider),
    classes: { Error: FrameworkError },
    pluginManager: { hooks },
  };
  return { serverless, defined, providers, hooks };
}

const silentUtils = (): PluginUtils => {
  const log = Object.assign(() => undefined, {
    error: () => undefined,
    warning: () => undefined,
    notice: () => undefined,
    info: () => undefined,
    debug: () => undefined,
    success: () => undefined,
    verbose: () => undefined,
  });
  return {
    log,
    writeText: () => undefined,
    progress: { create: () => ({ update: () => undefined, remove: () => undefined }) },
  };
};

describe('plugin class', () => {
  it('defines both providers, registers itself and takes over the lifecycle', () => {
    const { serverless, defined, providers, hooks } = fakeServerless('kubeless', '/nowhere');
    const plugin = new ServerlessK8sPlugin(serverless, {}, silentUtils());
    expect(defined).toEqual(['kubeless', 'knative']);
    expect(providers.kubeless).toBe(plugin);
    expect(Object.keys(plugin.hooks).sort()).toEqual([
      'deploy:deploy',
      'deploy:function:deploy',
      'info:info',
      'invoke:invoke',
      'invoke:local:invoke',
      'logs:logs',
      'metrics:metrics',
      'package:createDeploymentArtifacts',
      'remove:remove',
      'serve:serve',
    ]);
    // Only the framework's Package plugin loses its zip step; other plugins keep their hooks.
    expect(hooks['package:createDeploymentArtifacts']).toEqual([{ pluginName: 'OtherPlugin' }]);
  });

  it('declares typed options so the framework validates them', () => {
    const { serverless } = fakeServerless('knative', '/nowhere');
    const plugin = new ServerlessK8sPlugin(serverless, {}, silentUtils());
    const commands = plugin.commands as Record<
      string,
      { options?: Record<string, { type?: string }> }
    >;
    for (const command of Object.values(commands)) {
      for (const [name, option] of Object.entries(command.options ?? {})) {
        expect(['string', 'boolean', 'multiple'], `--${name}`).toContain(option.type);
      }
    }
    expect(commands.invoke?.options?.header?.type).toBe('multiple');
    expect(commands.deploy?.options?.wait?.type).toBe('boolean');
  });

  it('stays out of services of other providers', () => {
    const { serverless, providers, hooks } = fakeServerless('aws', '/nowhere');
    const plugin = new ServerlessK8sPlugin(serverless, {}, silentUtils());
    expect(plugin.hooks).toEqual({});
    expect(providers).toEqual({});
    expect(hooks['package:createDeploymentArtifacts']).toHaveLength(2);
  });

  it('turns a user mistake into a framework error without a stack', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sk8s-plugin-'));
    const { serverless } = fakeServerless('kubeless', dir, { hello: { handler: 'missing.hello' } });
    const plugin = new ServerlessK8sPlugin(serverless, { function: 'hello' }, silentUtils());
    const failure = await plugin.hooks['invoke:local:invoke']?.().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FrameworkError);
    expect((failure as Error).message).toMatch(/functions\.hello\.handler.*missing/s);
    expect((failure as Error).stack).not.toMatch(/normalize/);
    await rm(dir, { recursive: true, force: true });
  });

  // --wait-timeout is used only after applying: a typo must fail before anything is packaged.
  it.each([
    ['deploy:deploy', ['deploy'], {}],
    ['deploy:function:deploy', ['deploy', 'function'], { function: 'hello' }],
  ])('%s rejects a bad --wait-timeout before packaging', async (hook, commands, extra) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sk8s-plugin-'));
    await writeFile(path.join(dir, 'handler.ts'), 'export const hello = () => "hi";\n');
    const { serverless } = fakeServerless('kubeless', dir, { hello: { handler: 'handler.hello' } });
    serverless.processedInput.commands = commands;
    const options = { 'wait-timeout': 'soon', ...extra };
    const plugin = new ServerlessK8sPlugin(serverless, options, silentUtils());
    const failure = await plugin.hooks[hook]?.().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FrameworkError);
    expect((failure as Error).message).toBe(
      '--wait-timeout "soon" is not a duration. Use seconds (300) or a duration like 90s, 5m.',
    );
    expect(existsSync(path.join(dir, '.serverless'))).toBe(false);
    await rm(dir, { recursive: true, force: true });
  });
});
