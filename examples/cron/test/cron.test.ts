import { spawn } from 'node:child_process';
import path from 'node:path';
import { invokeHandler } from '@serverless-k8s/runtime';
import { describe, expect, it } from 'vitest';
import { report, type ReportResult } from '../src/handler.js';
import { invokeLocal, ofKind, packageExample } from '../../test-support/package-example.js';

const exampleDir = path.resolve(import.meta.dirname, '..');

// What Kubeless's CronJobTrigger sends.
const cronHeaders = {
  'event-id': 'job-1',
  'event-type': 'application/json',
  'event-namespace': 'cronjobtrigger.kubeless.io',
};

describe('cron', () => {
  it('runs the report the schedule payload names', async () => {
    const result = await invokeHandler(report, {
      method: 'POST',
      headers: cronHeaders,
      body: { report: 'cleanup' },
    });
    expect(result.statusCode).toBe(200);
    expect(result.json()).toMatchObject({
      report: 'cleanup',
      trigger: 'cronjobtrigger.kubeless.io',
    });
    expect(Date.parse((result.json() as { ranAt: string }).ranAt)).not.toBeNaN();
  });

  it('answers 400 for an unknown report', async () => {
    const result = await invokeHandler(report, {
      method: 'POST',
      body: { report: 'weekly' },
    });
    expect(result.statusCode).toBe(400);
    expect(result.text()).toContain('unknown report');
  });

  it('packages one CronJobTrigger per function, named trigger-<function>, with its payload', async () => {
    const triggers = ofKind(await packageExample(exampleDir), 'CronJobTrigger');
    expect(
      triggers
        .map((trigger) => ({ name: trigger.metadata?.name, ...trigger.spec }))
        .sort((a, b) => String(a.schedule).localeCompare(String(b.schedule))),
    ).toEqual([
      {
        name: 'trigger-usage-report',
        'function-name': 'usage-report',
        schedule: '*/5 * * * *',
        payload: { report: 'usage' },
      },
      {
        name: 'trigger-cleanup-report',
        'function-name': 'cleanup-report',
        schedule: '0 2 * * *',
        payload: { report: 'cleanup' },
      },
    ]);
  }, 120_000);

  it('runs a report under `serverless invoke local`, and fails on an unknown one', async () => {
    const invocation = await invokeLocal(exampleDir, 'cleanup-report', { report: 'cleanup' });
    // The handler's console.log comes first, as it would in the pod's log.
    expect(invocation.stdout).toMatch(/^running the cleanup report \(http\)$/m);
    const result = invocation.json() as ReportResult;
    expect(result).toMatchObject({ report: 'cleanup', trigger: 'http' });
    expect(Date.parse(result.ranAt)).not.toBeNaN();
    await expect(
      invokeLocal(exampleDir, 'cleanup-report', { report: 'weekly' }),
    ).rejects.toMatchObject({
      // The framework prints the plugin's error on stdout.
      stdout: expect.stringMatching(/answered HTTP 400 Bad Request:[\s\S]*unknown report/),
    });
  }, 120_000);

  it('fires a schedule on demand under `serverless serve`', async () => {
    const cli = path.join(exampleDir, 'node_modules', 'serverless', 'bin', 'serverless.js');
    const serve = spawn(process.execPath, [cli, 'serve', '--port', '0', '--no-watch'], {
      cwd: exampleDir,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => serve.once('exit', resolve));
    try {
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`serve did not start:\n${output}`)),
          45_000,
        );
        for (const stream of [serve.stdout, serve.stderr]) {
          stream.setEncoding('utf8').on('data', (chunk: string) => {
            output += chunk;
            const match = /Serving 2 function\(s\) at (http:\/\/\S+)/.exec(output);
            if (match?.[1]) {
              clearTimeout(timer);
              resolve(match[1]);
            }
          });
        }
        serve.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${output}`)));
      });
      const answer = await fetch(
        `${url}/__sk8s/schedule/cleanup-report/cleanup-report-schedule-0`,
        {
          method: 'POST',
        },
      );
      expect(answer.status).toBe(200);
      expect(await answer.json()).toMatchObject({
        report: 'cleanup',
        trigger: 'cronjobtrigger.kubeless.io',
      });
    } finally {
      serve.kill('SIGINT');
      await exited;
    }
  }, 120_000);
});
