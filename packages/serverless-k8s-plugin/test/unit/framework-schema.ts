// Validates a serverless.yml with the framework's own ConfigSchemaHandler (serverless 3.40) and
// this plugin's provider schema, as `serverless` does before any plugin hook runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { providerSchema } from '../../src/config/schema.js';
import type { ServiceConfig } from './service-fixtures.js';

interface SchemaHandler {
  defineProvider(name: string, options: Record<string, unknown>): void;
  validateConfig(config: unknown): Promise<void>;
}

const require = createRequire(import.meta.url);
const ConfigSchemaHandler = require('serverless/lib/classes/config-schema-handler') as new (
  serverless: unknown,
) => SchemaHandler;

/** The framework caches compiled validators on disk: give each test file its own directory. */
export function useSchemaCache(): void {
  let cacheDir: string;
  beforeAll(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'sk8s-schema-'));
    process.env.SLS_SCHEMA_CACHE_BASE_DIR = cacheDir;
  });
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));
}

/** Resolves when the framework accepts `config`; rejects with its "Configuration error" otherwise. */
export async function validateWithFramework(config: ServiceConfig): Promise<void> {
  const provider =
    typeof config.provider === 'string' ? { name: config.provider } : config.provider;
  const name = provider.name as 'kubeless' | 'knative';
  const serverless = {
    service: { provider: { name }, configValidationMode: 'error' },
    configurationInput: config,
  };
  const handler = new ConfigSchemaHandler(serverless);
  handler.defineProvider(name, providerSchema(name));
  await handler.validateConfig(structuredClone({ ...config, provider }));
}
