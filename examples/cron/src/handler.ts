import { HttpError, type Handler } from '@serverless-k8s/runtime';

const REPORTS = ['usage', 'cleanup'] as const;
export type ReportKind = (typeof REPORTS)[number];

export interface ReportRequest {
  report?: string;
}

export interface ReportResult {
  report: ReportKind;
  ranAt: string;
  /** `cronjobtrigger.kubeless.io` when a schedule fired it, `http` when called directly. */
  trigger: string;
}

function isReportKind(value: unknown): value is ReportKind {
  return REPORTS.includes(value as ReportKind);
}

/**
 * Runs the report its schedule's payload names. Kubeless's CronJobTrigger POSTs the payload as
 * JSON with `event-namespace: cronjobtrigger.kubeless.io`; calling it over HTTP works the same.
 */
export const report: Handler<ReportRequest | undefined, ReportResult> = (event) => {
  const kind = event.data?.report ?? 'usage';
  if (!isReportKind(kind)) {
    throw new HttpError(400, `unknown report "${kind}"; choose one of ${REPORTS.join(', ')}`);
  }
  const trigger = event['event-namespace'] ?? 'http';
  // Kubeless's runtime has no context.log: stdout is the pod's log.
  console.log(`running the ${kind} report (${trigger})`);
  return { report: kind, ranAt: new Date().toISOString(), trigger };
};
