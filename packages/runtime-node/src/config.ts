import { basename, extname } from 'node:path';
import type { LogLevel } from './types.js';
import { isLogLevel } from './logger.js';

/** A configuration mistake: the message names the setting, the bad value and the fix. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface RuntimeSettings {
  /** Export name of the handler (FUNC_HANDLER); Kubeless's `context['function-name']`. */
  handlerName: string;
  /** Module name (MOD_NAME); used in metric labels as Kubeless does. */
  moduleName: string;
  /** Seconds (FUNC_TIMEOUT, default 180 as Kubeless). */
  timeout: number;
  port: number;
  /** Undefined means all interfaces (`::`, falling back to `0.0.0.0`). */
  host: string | undefined;
  runtime: string;
  memoryLimit: string;
  /** Bytes (REQ_MB_LIMIT MiB, default 1). */
  bodyLimit: number;
  cors: boolean;
  debug: boolean;
  logLevel: LogLevel;
  /** Seconds in-flight requests get to finish on SIGTERM (FUNC_GRACE_PERIOD, default 25). */
  gracePeriod: number;
  /** Milliseconds a client gets to send all headers / the whole request. */
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
}

export type Env = Record<string, string | undefined>;

function positiveNumber(name: string, raw: string | number, unit: string): number {
  const value = typeof raw === 'number' ? raw : Number(raw.trim());
  if (!Number.isFinite(value) || value <= 0 || (typeof raw === 'string' && raw.trim() === '')) {
    throw new ConfigError(`${name} must be a positive number of ${unit}, got '${raw}'.`);
  }
  return value;
}

/** Node runs a longer timer after 1 ms instead (2^31-1 ms is its limit), so refuse it up front. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

function timerSeconds(name: string, raw: string | number): number {
  const value = positiveNumber(name, raw, 'seconds');
  if (value > MAX_TIMER_SECONDS) {
    throw new ConfigError(
      `${name} must be at most ${MAX_TIMER_SECONDS} seconds (about 24.8 days, Node's timer limit), got '${raw}'.`,
    );
  }
  return value;
}

function portNumber(name: string, raw: string | number): number {
  const value = typeof raw === 'number' ? raw : Number(raw.trim());
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new ConfigError(`${name} must be a port number 0-65535, got '${raw}'.`);
  }
  return value;
}

function flag(raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  return !['0', 'false', 'no', 'off'].includes(raw.toLowerCase());
}

export interface SettingsOverrides {
  handlerName?: string;
  moduleName?: string;
  modulePath?: string;
  timeout?: number;
  port?: number;
  host?: string;
  bodyLimit?: number;
  cors?: boolean;
  gracePeriod?: number;
  headersTimeout?: number;
  requestTimeout?: number;
  keepAliveTimeout?: number;
}

/** Resolves the Kubeless environment variables; explicit overrides (flags, options) win. */
export function resolveSettings(env: Env, overrides: SettingsOverrides = {}): RuntimeSettings {
  const handlerName = overrides.handlerName ?? env.FUNC_HANDLER ?? 'handler';
  const fromPath = overrides.modulePath
    ? basename(overrides.modulePath, extname(overrides.modulePath))
    : undefined;
  const moduleName = overrides.moduleName ?? env.MOD_NAME ?? fromPath ?? handlerName;

  const timeout =
    overrides.timeout !== undefined
      ? timerSeconds('--timeout', overrides.timeout)
      : timerSeconds('FUNC_TIMEOUT', env.FUNC_TIMEOUT ?? '180');

  let port: number;
  if (overrides.port !== undefined) port = portNumber('--port', overrides.port);
  else if (env.FUNC_PORT) port = portNumber('FUNC_PORT', env.FUNC_PORT);
  else if (env.PORT) port = portNumber('PORT', env.PORT);
  else port = 8080;

  const bodyLimit =
    overrides.bodyLimit ??
    Math.floor(positiveNumber('REQ_MB_LIMIT', env.REQ_MB_LIMIT ?? '1', 'MiB') * 1024 * 1024);

  const logLevelRaw = (env.FUNC_LOG_LEVEL ?? 'info').toLowerCase();
  if (!isLogLevel(logLevelRaw)) {
    throw new ConfigError(
      `FUNC_LOG_LEVEL must be one of debug, info, warn, error; got '${env.FUNC_LOG_LEVEL}'.`,
    );
  }

  return {
    handlerName,
    moduleName,
    timeout,
    port,
    host: overrides.host ?? (env.FUNC_HOST || undefined),
    runtime: env.FUNC_RUNTIME ?? `nodejs${process.versions.node.split('.')[0]}`,
    memoryLimit: env.FUNC_MEMORY_LIMIT ?? '',
    bodyLimit,
    cors: overrides.cors ?? flag(env.FUNC_CORS, true),
    debug: flag(env.FUNC_DEBUG, false),
    logLevel: logLevelRaw,
    gracePeriod:
      overrides.gracePeriod !== undefined
        ? timerSeconds('gracePeriod', overrides.gracePeriod)
        : timerSeconds('FUNC_GRACE_PERIOD', env.FUNC_GRACE_PERIOD ?? '25'),
    headersTimeout: overrides.headersTimeout ?? 20_000,
    requestTimeout: overrides.requestTimeout ?? 60_000,
    keepAliveTimeout: overrides.keepAliveTimeout ?? 5_000,
  };
}
