import { parseArgs } from 'node:util';
import { ConfigError } from './config.js';
import { stackOf } from './reply.js';
import { start } from './server.js';

const USAGE = `Usage: serverless-k8s-runtime <module-file> [--handler NAME] [--port N] [--timeout S] [--host ADDR]

Serves the function exported as NAME (FUNC_HANDLER) from <module-file> (else
$KUBELESS_INSTALL_VOLUME/$MOD_NAME.js, default volume /kubeless) on port N
(FUNC_PORT, PORT, 8080), answering 408 after S seconds (FUNC_TIMEOUT, 180).
Flags override the environment.`;

function fail(message: string, exitCode: number): never {
  process.stderr.write(`serverless-k8s-runtime: ${message}\n`);
  process.exit(exitCode);
}

function numberFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value))
    fail(`--${name} expects a number, got '${raw}'.\n${USAGE}`, 2);
  return value;
}

const OPTIONS = {
  handler: { type: 'string' },
  port: { type: 'string' },
  timeout: { type: 'string' },
  host: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseCommandLine(): ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
> {
  try {
    return parseArgs({ options: OPTIONS, allowPositionals: true });
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`, 2);
  }
}

async function main(): Promise<void> {
  const parsed = parseCommandLine();
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (positionals.length > 1)
    fail(`expected one module file, got ${positionals.length}.\n${USAGE}`, 2);
  // A promise a handler left behind and nobody awaits must not take the function down for
  // every other request (Node's default is to exit); log it and keep serving.
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(
      JSON.stringify({
        level: 'error',
        time: new Date().toISOString(),
        msg: 'Unhandled rejection',
        // The reason is the handler's value: even looking at it may throw (a Proxy, a getter).
        error: stackOf(reason),
      }) + '\n',
    );
  });
  try {
    const handle = await start({
      module: positionals[0],
      handlerName: values.handler,
      port: numberFlag('port', values.port),
      timeout: numberFlag('timeout', values.timeout),
      host: values.host,
      handleSignals: true,
    });
    const shown = handle.host.includes(':') ? `[${handle.host}]` : handle.host;
    handle.runtime.log.info(`Listening on http://${shown}:${handle.port}`, { port: handle.port });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 1);
    fail(error instanceof Error ? (error.stack ?? error.message) : String(error), 1);
  }
}

void main();
