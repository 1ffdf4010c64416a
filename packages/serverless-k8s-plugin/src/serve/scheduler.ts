// Fires schedule events on time while `serve` runs: one timer for the earliest next firing of all
// jobs, re-armed after each firing. The clock is injectable so tests can stand just before a
// minute boundary instead of waiting for one.
import { parseCron, type CronSchedule } from './cron.js';

export interface ScheduledJob {
  functionKey: string;
  eventName: string;
  cron: string;
  timeZone?: string;
}

export interface SchedulerOptions {
  /** Milliseconds since the epoch; Date.now by default. */
  now?: () => number;
  /** Called for each job due; failures are the callback's to report. */
  fire: (job: ScheduledJob, scheduledTime: Date) => void;
}

// Node's timers overflow beyond ~24.8 days; far-off firings re-arm in steps no longer than this.
const MAX_TIMER_MS = 2 ** 31 - 1;

export class CronScheduler {
  private readonly entries: { job: ScheduledJob; schedule: CronSchedule; due?: Date }[];
  private readonly now: () => number;
  private readonly fire: SchedulerOptions['fire'];
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(jobs: ScheduledJob[], options: SchedulerOptions) {
    this.entries = jobs.map((job) => ({ job, schedule: parseCron(job.cron) }));
    this.now = options.now ?? Date.now;
    this.fire = options.fire;
  }

  /** Next firing time of each job, as of now (for the start-up listing). */
  upcoming(): { job: ScheduledJob; due?: Date }[] {
    return this.entries.map(({ job, due }) => ({ job, due }));
  }

  start(): void {
    this.running = true;
    const now = new Date(this.now());
    for (const entry of this.entries) entry.due = entry.schedule.next(now, entry.job.timeZone);
    this.arm();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (!this.running) return;
    const dues = this.entries.flatMap((entry) => (entry.due ? [entry.due.getTime()] : []));
    if (dues.length === 0) return;
    const delay = Math.min(Math.max(0, Math.min(...dues) - this.now()), MAX_TIMER_MS);
    this.timer = setTimeout(() => this.tick(), delay);
    this.timer.unref();
  }

  private tick(): void {
    const now = this.now();
    for (const entry of this.entries) {
      if (entry.due && entry.due.getTime() <= now) {
        const scheduled = entry.due;
        // From now, not from the missed time: after a sleep, one late firing rather than a burst.
        entry.due = entry.schedule.next(new Date(now), entry.job.timeZone);
        this.fire(entry.job, scheduled);
      }
    }
    this.arm();
  }
}
