import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { HttpError, type Handler } from '@serverless-k8s/runtime';

export interface Alert {
  text?: unknown;
  severity?: unknown;
}

export interface Notified {
  delivered: true;
  channel: string;
}

/** How much of Slack's error answer is kept for the caller. */
const MAX_REASON_LENGTH = 200;

const SEVERITY_ICON: Record<string, string> = {
  info: ':information_source:',
  warning: ':warning:',
  critical: ':rotating_light:',
};

/** The Slack message for an alert (mrkdwn text; Slack's incoming webhook payload). */
export function slackMessage(text: string, severity: string): { text: string } {
  return { text: `${SEVERITY_ICON[severity] ?? ''} *${severity.toUpperCase()}* ${text}`.trim() };
}

/** Slack's answer: status and (the start of) its body. */
interface WebhookAnswer {
  status: number;
  text: string;
}

/**
 * POSTs `payload` as JSON with node:https (node:http for a local stand-in): Kubeless's Node 14
 * runtime has no fetch. Gives up after `timeoutMs`.
 */
function postJson(url: URL, payload: unknown, timeoutMs: number): Promise<WebhookAnswer> {
  const body = JSON.stringify(payload);
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < MAX_REASON_LENGTH) text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    // The error names the host only: the webhook URL is a credential.
    req.on('timeout', () => req.destroy(new Error(`Slack did not answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * `POST /notify {"text": "Disk 91% full on db-1", "severity": "warning"}` posts the alert to the
 * Slack incoming webhook whose URL is in SLACK_WEBHOOK_URL (from the `slack-webhook` Secret).
 */
export const notify: Handler<Alert | undefined, Notified> = async (event, context) => {
  const text = event.data?.text;
  const severity = event.data?.severity ?? 'info';
  if (typeof text !== 'string' || text.trim() === '') {
    throw new HttpError(
      400,
      'expected {"text": "<message>", "severity": "info" | "warning" | "critical"}',
    );
  }
  if (typeof severity !== 'string' || !(severity in SEVERITY_ICON)) {
    throw new HttpError(400, `severity must be one of ${Object.keys(SEVERITY_ICON).join(', ')}`);
  }
  const webhook = process.env.SLACK_WEBHOOK_URL;
  if (!webhook) {
    // A configuration problem, not the caller's: 500, with the fix in the pod's log.
    console.error('SLACK_WEBHOOK_URL is not set: create the slack-webhook Secret (see README.md)');
    throw new Error('SLACK_WEBHOOK_URL is not set');
  }
  // Kubeless's context.timeout is in seconds; leave a second to answer the caller.
  const timeoutMs = Math.max(1, Number(context.timeout) - 1) * 1000;
  const answer = await postJson(new URL(webhook), slackMessage(text, severity), timeoutMs);
  if (answer.status < 200 || answer.status >= 300) {
    // Slack answers e.g. 404 "no_service" for a revoked webhook. The URL itself is never logged.
    const reason = answer.text.slice(0, MAX_REASON_LENGTH);
    console.error(`Slack rejected the message: ${answer.status} ${reason}`);
    throw new HttpError(502, `Slack answered ${answer.status}: ${reason}`, { expose: true });
  }
  return { delivered: true, channel: process.env.SLACK_CHANNEL_LABEL ?? 'slack' };
};
