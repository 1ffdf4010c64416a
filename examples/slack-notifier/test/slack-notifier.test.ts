import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { invokeHandler, type InvokeInput } from '@serverless-k8s/runtime';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { notify } from '../src/handler.js';
import { invokeLocal, ofKind, packageExample } from '../../test-support/package-example.js';

const exampleDir = path.resolve(import.meta.dirname, '..');

/** Stands in for Slack's incoming webhook on loopback: records what it receives. */
interface Received {
  path: string;
  contentType: string | undefined;
  body: unknown;
}
const received: Received[] = [];
let slack: Server;
let slackUrl: string;
let slackAnswer = { status: 200, body: 'ok' };

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    let text = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(JSON.parse(text)));
  });
}

beforeAll(async () => {
  slack = createServer(async (req, res) => {
    received.push({
      path: req.url ?? '',
      contentType: req.headers['content-type'],
      body: await readJson(req),
    });
    res.writeHead(slackAnswer.status, { 'content-type': 'text/plain' }).end(slackAnswer.body);
  });
  await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve));
  slackUrl = `http://127.0.0.1:${(slack.address() as AddressInfo).port}/services/T000/B000/XXXX`;
});
afterAll(() => new Promise((resolve) => slack.close(resolve)));
afterEach(() => {
  vi.unstubAllEnvs();
  received.length = 0;
  slackAnswer = { status: 200, body: 'ok' };
});

const send = (body: InvokeInput['body']) =>
  invokeHandler(notify, { method: 'POST', path: '/notify', body });

describe('slack-notifier', () => {
  it('posts the alert to the webhook URL from the environment', async () => {
    vi.stubEnv('SLACK_WEBHOOK_URL', slackUrl);
    vi.stubEnv('SLACK_CHANNEL_LABEL', '#alerts');
    const result = await send({ text: 'Disk 91% full on db-1', severity: 'warning' });
    expect(result.statusCode).toBe(200);
    expect(result.json()).toEqual({ delivered: true, channel: '#alerts' });
    expect(received).toEqual([
      {
        path: '/services/T000/B000/XXXX',
        contentType: 'application/json',
        body: { text: ':warning: *WARNING* Disk 91% full on db-1' },
      },
    ]);
  });

  it('answers 502 with Slack’s reason when Slack refuses', async () => {
    vi.stubEnv('SLACK_WEBHOOK_URL', slackUrl);
    slackAnswer = { status: 404, body: 'no_service' };
    const result = await send({ text: 'hello' });
    expect(result.statusCode).toBe(502);
    expect(result.text()).toContain('Slack answered 404: no_service');
    expect(result.text()).not.toContain(slackUrl);
  });

  it('answers 400 to an alert without text or with an unknown severity, without calling Slack', async () => {
    vi.stubEnv('SLACK_WEBHOOK_URL', slackUrl);
    expect((await send({ severity: 'info' })).statusCode).toBe(400);
    expect((await send({ text: 'x', severity: 'meh' })).statusCode).toBe(400);
    expect(received).toEqual([]);
  });

  it('answers 500 when the Secret is missing', async () => {
    vi.stubEnv('SLACK_WEBHOOK_URL', '');
    expect((await send({ text: 'hello' })).statusCode).toBe(500);
  });

  it('posts through the packaged bundle under `serverless invoke local`', async () => {
    // The shell stands in for the Secret; SLACK_CHANNEL_LABEL comes from serverless.yml.
    vi.stubEnv('SLACK_WEBHOOK_URL', slackUrl);
    const output = await invokeLocal(exampleDir, 'notify', { text: 'Deployed', severity: 'info' });
    expect(output.json()).toEqual({ delivered: true, channel: '#alerts' });
    expect(received).toEqual([
      {
        path: '/services/T000/B000/XXXX',
        contentType: 'application/json',
        body: { text: ':information_source: *INFO* Deployed' },
      },
    ]);
  }, 120_000);

  it('packages the webhook URL as a Secret reference, never as a value', async () => {
    const [fn] = ofKind(await packageExample(exampleDir), 'Function');
    const deployment = JSON.stringify(fn?.spec?.deployment);
    expect(deployment).toContain(
      '{"name":"SLACK_WEBHOOK_URL","valueFrom":{"secretKeyRef":{"name":"slack-webhook","key":"url"}}}',
    );
    expect(deployment).not.toContain('hooks.slack.com');
  }, 120_000);
});
