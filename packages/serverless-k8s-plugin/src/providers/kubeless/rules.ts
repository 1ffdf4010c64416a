// What Kubeless 1.0.8's own controllers reject or silently mishandle, checked on the model so
// `package` fails before a cluster does. Each rule cites the upstream code (function controller
// and kubeless.js of kubeless 1.0.8, http-trigger 1.0.2, cronjob-trigger 1.0.3).
import type { PlatformRules } from '../../model/normalize.js';
import type { FunctionModel, ScheduleEvent } from '../../model/types.js';

/** The port the cronjob-trigger's job always calls (cronjob-trigger kubelessutil.go:63). */
export const CRONJOB_TARGET_PORT = 8080;

/** Kubeless's pods run as uid 1000 (kubelessutil.go populatePodSpec), which may not bind ports below 1024. */
const FIRST_UNPRIVILEGED_PORT = 1024;

/** The JSON Go's encoding/json writes for the payload: it escapes <, > and & for HTML. */
export function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
}

function scheduleRules(
  fn: FunctionModel,
  schedules: ScheduleEvent[],
  add: (path: string, message: string) => void,
): void {
  const path = `functions.${fn.key}.events`;
  if (schedules.length > 1) {
    // cronjob-trigger kubelessutil.go:62 names the CronJob `trigger-<function>`: a second
    // CronJobTrigger of the same function overwrites the first one's schedule and payload.
    add(
      path,
      `has ${schedules.length} schedule events (${schedules.map((e) => e.cron).join(', ')}); Kubeless runs one CronJob per function (trigger-${fn.name}), so all but one would be silently dropped. Keep one schedule, or give each schedule its own function`,
    );
  }
  schedules.forEach((event, index) => {
    if (event.name !== `${fn.name}-schedule-${index}`) {
      add(
        `${path} (${event.name}).name`,
        `is not used: Kubeless's CronJobTrigger of a function must be named trigger-${fn.name}, the CronJob the cronjob-trigger controller makes and deletes by that name (kubelessutil.go:62, cronjob_trigger_controller.go:222); remove name:`,
      );
    }
  });
  for (const event of schedules) {
    if (event.payload === undefined) continue;
    // kubelessutil.go:73-81: the payload is pasted into `sh -c "curl … -d '<payload>'"` unescaped.
    if (goJson(event.payload).includes("'")) {
      add(
        `${path} (${event.name}).payload`,
        "contains a single quote ('), which breaks the shell command Kubeless's CronJob runs (curl -d '<payload>'); remove it, or encode it (e.g. \\u0027 inside a JSON string)",
      );
    }
  }
  const servicePort = fn.servicePort ?? fn.port;
  if (schedules.length > 0 && servicePort !== CRONJOB_TARGET_PORT) {
    add(
      `functions.${fn.key}.${fn.servicePort !== undefined ? 'servicePort' : 'port'}`,
      `is ${servicePort}, but Kubeless's CronJob always calls http://${fn.name}.<namespace>.svc.cluster.local:${CRONJOB_TARGET_PORT} (cronjob-trigger kubelessutil.go:63): set servicePort: ${CRONJOB_TARGET_PORT} (port may differ)`,
    );
  }
}

export const kubelessRules: PlatformRules = (model, problems) => {
  for (const fn of model.functions) {
    const add = (path: string, message: string) => problems.add(path, message);
    scheduleRules(
      fn,
      fn.events.filter((e): e is ScheduleEvent => e.kind === 'schedule'),
      add,
    );
    if (
      fn.events.some((e) => e.kind === 'http') &&
      fn.servicePort !== undefined &&
      fn.servicePort !== fn.port
    ) {
      // http-trigger k8sutil.go:250: the Ingress backend is the Service's targetPort, which is
      // not a port of the Service when servicePort differs from port.
      add(
        `functions.${fn.key}.servicePort`,
        `is ${fn.servicePort} but port is ${fn.port}: Kubeless's HTTPTrigger points its Ingress at Service port ${fn.port}, which the Service would not have. Remove servicePort, or make it equal to port`,
      );
    }
    if (!fn.image && fn.port < FIRST_UNPRIVILEGED_PORT) {
      add(
        `functions.${fn.key}.port`,
        `is ${fn.port}: Kubeless runs functions as uid 1000, which may not listen on ports below ${FIRST_UNPRIVILEGED_PORT}, so the pod would crash. Use e.g. port: 8080`,
      );
    }
  }
};
