import { HttpError, type Handler } from '@serverless-k8s/runtime';

export interface Alert {
  text?: unknown;
  severity?: unknown;
}

export interface Notified {
  delivered: true;
  channel: string;
}

const SEVERITY_ICON: Record<string, string> = {
  info: ':information_source:',
  warning: ':warning:',
  critical: ':rotating_light:',
};

/** The Slack message for an alert (mrkdwn text; Slack's incoming webhook payload). */
export function slackMessage(text: string, severity: string): { text: string } {
  return { text: `${SEVERITY_ICON[severity] ?? ''} *${severity.toUpperCase()}* ${text}`.trim() };
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
    context.log.error(
      'SLACK_WEBHOOK_URL is not set: create the slack-webhook Secret (see README.md)',
    );
    throw new Error('SLACK_WEBHOOK_URL is not set');
  }
  const answer = await fetch(webhook, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(slackMessage(text, severity)),
    signal: context.signal,
  });
  if (!answer.ok) {
    // Slack answers e.g. 404 "no_service" for a revoked webhook. The URL itself is never logged.
    const reason = (await answer.text()).slice(0, 200);
    context.log.error('Slack rejected the message', { status: answer.status, reason });
    throw new HttpError(502, `Slack answered ${answer.status}: ${reason}`, { expose: true });
  }
  return { delivered: true, channel: process.env.SLACK_CHANNEL_LABEL ?? 'slack' };
};
