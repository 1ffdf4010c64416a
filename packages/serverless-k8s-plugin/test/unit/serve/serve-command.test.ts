import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandContext, PluginUtils } from '../../../src/commands/context.js';
import { resolveRuntimeCli, runServe } from '../../../src/commands/serve.js';
import type { ServiceModel } from '../../../src/model/types.js';

let emptyDir: string;
beforeAll(async () => {
  emptyDir = await mkdtemp(path.join(tmpdir(), 'sk8s-serve-cmd-'));
});
afterAll(() => rm(emptyDir, { recursive: true, force: true }));

function context(options: CommandContext['options']): CommandContext {
  const ignore = () => undefined;
  const log = Object.assign(ignore, {
    error: ignore,
    warning: ignore,
    notice: ignore,
    info: ignore,
    debug: ignore,
    success: ignore,
    verbose: ignore,
  });
  return {
    model: { servicePath: emptyDir, functions: [] } as unknown as ServiceModel,
    options,
    utils: { log } as unknown as PluginUtils,
    outputDir: path.join(emptyDir, '.serverless'),
  } as CommandContext;
}

describe('serve command', () => {
  it('finds the runtime bin the plugin depends on', () => {
    const cli = resolveRuntimeCli(path.resolve(import.meta.dirname, '../../..'));
    expect(cli).toMatch(/@serverless-k8s[\\/]runtime[\\/]dist[\\/]cli\.js$/);
    expect(existsSync(cli)).toBe(true);
  });

  it('says how to install the runtime when the service has none', () => {
    expect(() => resolveRuntimeCli(emptyDir)).toThrow(
      /serve runs functions with @serverless-k8s\/runtime, which is not installed here/,
    );
  });

  it('rejects a port that is not a number', async () => {
    await expect(runServe(context({ port: 'http' }), Promise.resolve())).rejects.toThrow(
      '--port "http" is not a port number (0-65535; 0 picks a free one).',
    );
  });
});
