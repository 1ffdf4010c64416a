// Liveness, readiness and startup probes as the kubelet runs them (pkg/kubelet/prober): httpGet
// (2xx/3xx succeeds), tcpSocket and exec, every periodSeconds after initialDelaySeconds, with
// successThreshold/failureThreshold consecutive results needed to change the state.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { Container, Probe } from 'kubernetes-types/core/v1.js';

export interface ProbeOutcome {
  ok: boolean;
  /** Why it failed, as the kubelet's Unhealthy event says it. */
  message?: string;
}

/** A container port given by number or by name. */
function probePort(port: number | string | undefined, container: Container): number {
  if (typeof port === 'number') return port;
  const named = container.ports?.find((p) => p.name === port);
  if (named) return named.containerPort;
  const numeric = Number(port);
  return Number.isInteger(numeric) ? numeric : Number.NaN;
}

function httpProbe(probe: Probe, podIp: string, container: Container): Promise<ProbeOutcome> {
  const get = probe.httpGet;
  if (!get) return Promise.resolve({ ok: false, message: 'no httpGet' });
  const port = probePort(get.port, container);
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  const https = get.scheme === 'HTTPS';
  const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.20' };
  for (const header of get.httpHeaders ?? []) headers[header.name] = header.value;
  return new Promise((resolve) => {
    const req = (https ? httpsRequest : httpRequest)(
      {
        host: get.host ?? podIp,
        port,
        path: get.path ?? '/',
        method: 'GET',
        headers,
        timeout: timeoutMs,
        ...(https ? { rejectUnauthorized: false } : {}),
      },
      (resp) => {
        resp.resume();
        const status = resp.statusCode ?? 0;
        resolve(
          status >= 200 && status < 400
            ? { ok: true }
            : { ok: false, message: `HTTP probe failed with statuscode: ${status}` },
        );
      },
    );
    req.on('timeout', () =>
      req.destroy(
        new Error('context deadline exceeded (Client.Timeout exceeded while awaiting headers)'),
      ),
    );
    req.on('error', (err) =>
      resolve({
        ok: false,
        message: `Get "http://${get.host ?? podIp}:${port}${get.path ?? '/'}": ${err.message}`,
      }),
    );
    req.end();
  });
}

function tcpProbe(probe: Probe, podIp: string, container: Container): Promise<ProbeOutcome> {
  const port = probePort(probe.tcpSocket?.port, container);
  const host = probe.tcpSocket?.host ?? podIp;
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: (probe.timeoutSeconds ?? 1) * 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
    });
    socket.once('error', (err) =>
      resolve({ ok: false, message: `dial tcp ${host}:${port}: ${err.message}` }),
    );
  });
}

export type ExecInContainer = (
  argv: string[],
  timeoutMs: number,
) => Promise<{ exitCode: number; output: string }>;

async function runOnce(
  probe: Probe,
  podIp: string,
  container: Container,
  exec: ExecInContainer,
): Promise<ProbeOutcome> {
  if (probe.httpGet) return httpProbe(probe, podIp, container);
  if (probe.tcpSocket) return tcpProbe(probe, podIp, container);
  if (probe.exec) {
    const { exitCode, output } = await exec(
      probe.exec.command ?? [],
      (probe.timeoutSeconds ?? 1) * 1000,
    );
    return exitCode === 0
      ? { ok: true }
      : { ok: false, message: output.trim() || `command exited with ${exitCode}` };
  }
  return { ok: false, message: 'probe has no handler' };
}

/** Runs one probe on its schedule and reports each change of its result. */
export class Prober {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  private result: boolean | undefined;

  constructor(
    private readonly probe: Probe,
    private readonly podIp: string,
    private readonly container: Container,
    private readonly exec: ExecInContainer,
    private readonly onResult: (ok: boolean, outcome: ProbeOutcome) => void,
    /** The state before the first result: readiness starts false, liveness true. */
    initial: boolean,
  ) {
    this.result = initial;
  }

  start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    const outcome = await runOnce(this.probe, this.podIp, this.container, this.exec).catch(
      (err: Error): ProbeOutcome => ({ ok: false, message: err.message }),
    );
    if (this.stopped) return;
    if (outcome.ok) {
      this.failures = 0;
      this.successes++;
      if (this.result !== true && this.successes >= (this.probe.successThreshold ?? 1)) {
        this.result = true;
        this.onResult(true, outcome);
      }
    } else {
      this.successes = 0;
      this.failures++;
      if (this.result !== false && this.failures >= (this.probe.failureThreshold ?? 3)) {
        this.result = false;
        this.onResult(false, outcome);
      } else if (this.result === false) {
        this.onResult(false, outcome);
      }
    }
    this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }
}
