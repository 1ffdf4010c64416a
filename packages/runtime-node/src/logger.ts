import type { LogLevel, Logger } from './types.js';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function isLogLevel(value: string): value is LogLevel {
  return value in RANK;
}

/** JSON-lines logger: debug/info to stdout, warn/error to stderr (what log collectors expect). */
export function createLogger(functionName: string, level: LogLevel): Logger {
  const threshold = RANK[level];
  const write = (lvl: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (RANK[lvl] < threshold) return;
    const time = new Date().toISOString();
    let line: string;
    try {
      line = JSON.stringify({ level: lvl, time, function: functionName, msg: message, ...fields });
    } catch {
      // A handler may log what JSON cannot hold (a BigInt, a cycle, a getter that throws): logging
      // must not fail the request, so the line goes out without its fields.
      line = JSON.stringify({
        level: lvl,
        time,
        function: functionName,
        msg: typeof message === 'string' ? message : '(a message that is not a string)',
        fieldsError: 'the fields could not be serialised as JSON',
      });
    }
    (RANK[lvl] >= RANK.warn ? process.stderr : process.stdout).write(line + '\n');
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
}
