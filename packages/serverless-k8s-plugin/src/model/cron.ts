// Cron syntax as Kubernetes CronJobs, Kubeless CronJobTriggers and Knative PingSources take it:
// five fields (robfig/cron standard parser) or a @macro.

const MACROS = new Set([
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@midnight',
  '@hourly',
]);

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Value of names[0]. */
  namesBase?: number;
}

const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesBase: 1 },
  // 7 is Sunday too, as in Vixie cron.
  { name: 'day of week', min: 0, max: 7, names: DAYS, namesBase: 0 },
];

function fieldValue(token: string, spec: FieldSpec): number | undefined {
  if (/^\d+$/.test(token)) return Number(token);
  const index = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  return index >= 0 ? index + (spec.namesBase ?? 0) : undefined;
}

function fieldProblem(field: string, spec: FieldSpec): string | undefined {
  for (const item of field.split(',')) {
    const [range, step, extra] = item.split('/');
    if (extra !== undefined || range === undefined || range === '')
      return `"${item}" in the ${spec.name} field is malformed`;
    if (step !== undefined && !(/^\d+$/.test(step) && Number(step) > 0)) {
      return `step "/${step}" in the ${spec.name} field must be a positive number`;
    }
    if (range === '*' || range === '?') {
      if (range === '?' && spec.name !== 'day of month' && spec.name !== 'day of week') {
        return `"?" is only allowed in the day fields`;
      }
      continue;
    }
    const bounds = range.split('-');
    if (bounds.length > 2) return `"${range}" in the ${spec.name} field is malformed`;
    const values = bounds.map((bound) => fieldValue(bound, spec));
    for (const [i, value] of values.entries()) {
      if (value === undefined || value < spec.min || value > spec.max) {
        return `"${bounds[i]}" is out of range for the ${spec.name} field (${spec.min}-${spec.max}${spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : ''})`;
      }
    }
    if (values.length === 2 && values[0]! > values[1]!) {
      return `range "${range}" in the ${spec.name} field goes backwards`;
    }
  }
  return undefined;
}

/** Why `expression` is not a valid five-field cron expression, or undefined. */
export function cronProblem(expression: string): string | undefined {
  const text = expression.trim();
  if (text.startsWith('@')) {
    return MACROS.has(text)
      ? undefined
      : `"${text}" is not a known macro (${[...MACROS].join(', ')})`;
  }
  if (/^cron\(/i.test(text)) {
    return `"${text}" is AWS syntax; write the five fields without cron(…), e.g. "*/5 * * * *"`;
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5) {
    return `"${text}" has ${fields.length} fields; cron needs 5 (minute hour day-of-month month day-of-week), e.g. "*/5 * * * *"`;
  }
  for (const [i, field] of fields.entries()) {
    const problem = fieldProblem(field, FIELDS[i]!);
    if (problem) return `"${text}": ${problem}`;
  }
  return undefined;
}

/**
 * `rate(5 minutes)` (the Serverless/AWS spelling) as cron. Only rates that divide their unit evenly
 * have an exact cron equivalent; others return a problem.
 */
export function rateToCron(rate: string): { cron: string } | { problem: string } {
  const match = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/i.exec(rate.trim());
  if (!match)
    return {
      problem: `"${rate}" is not a rate; write e.g. rate(5 minutes), rate(1 hour) or rate(1 day)`,
    };
  const amount = Number(match[1]);
  const unit = match[2]!.toLowerCase().replace(/s$/, '');
  const limits: Record<string, number> = { minute: 60, hour: 24, day: 1 };
  if (amount < 1 || (limits[unit]! % amount !== 0 && !(unit === 'day' && amount === 1))) {
    return {
      problem: `"${rate}" has no exact cron equivalent; use cron: with five fields instead`,
    };
  }
  if (unit === 'minute') return { cron: amount === 1 ? '* * * * *' : `*/${amount} * * * *` };
  if (unit === 'hour') return { cron: amount === 1 ? '0 * * * *' : `0 */${amount} * * *` };
  return { cron: '0 0 * * *' };
}
