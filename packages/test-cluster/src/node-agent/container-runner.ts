// One container of a pod, from image to exit, as the kubelet keeps it: its state (waiting,
// running, terminated) and last state, restarts with the kubelet's back-off (10 s doubling to
// 5 min, CrashLoopBackOff meanwhile), probes, and the termination message.
import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  Container,
  ContainerState,
  ContainerStatus,
  Pod,
  Service,
} from 'kubernetes-types/core/v1.js';
import type { KubeApi } from '../kube-api.js';
import { startContainerProcess, type ContainerMount } from './container.js';
import { containerEnv, ContainerConfigError, expand } from './env.js';
import { resolveImage, type LocalImage } from './images.js';
import { ContainerLog } from './logs.js';
import { Prober, type ProbeOutcome } from './probes.js';

export interface ContainerHost {
  pod(): Pod;
  podDir: string;
  netns(): string;
  podIp(): string;
  hostsFile: string;
  hostnameFile: string;
  /** The volume directories by volume name. */
  volumePath(name: string): string | undefined;
  services(): Service[];
  api: KubeApi;
  kubelessRuntimeDir: string;
  event(container: string, type: 'Normal' | 'Warning', reason: string, message: string): void;
  changed(): void;
  log(message: string): void;
}

const BACKOFF_START_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;
/** A run this long resets the back-off, as the kubelet's does. */
const BACKOFF_RESET_MS = 600_000;

export type ExitHandler = (exitCode: number) => void;

export class ContainerRunner {
  restartCount = 0;
  ready = false;
  started = false;
  state: ContainerState = { waiting: { reason: 'ContainerCreating' } };
  lastState: ContainerState = {};
  private process: ChildProcess | undefined;
  private exited: Promise<number> | undefined;
  private log: ContainerLog | undefined;
  private previousLogFile: string | undefined;
  private backoffMs = 0;
  private pullFailures = 0;
  private probers: Prober[] = [];
  private stopping = false;
  private startupPassed = false;
  private readinessPassed = false;
  private restartTimer: NodeJS.Timeout | undefined;
  containerId = '';

  constructor(
    readonly spec: Container,
    readonly init: boolean,
    private readonly host: ContainerHost,
    /** Called after each exit of the process (the pod decides about restarts). */
    private readonly onExit: ExitHandler,
  ) {}

  get running(): boolean {
    return this.process !== undefined;
  }

  get fieldPath(): string {
    return `${this.init ? 'spec.initContainers' : 'spec.containers'}{${this.spec.name}}`;
  }

  /**
   * Where `logs` reads this container's output, as the kubelet answers: the running instance, or
   * while none runs the last one that exited; `previous` is the last exited one.
   */
  logFile(previous: boolean): string | undefined {
    if (previous) return this.running ? this.previousLogFile : this.log?.file;
    return this.log?.file;
  }

  status(): ContainerStatus {
    return {
      name: this.spec.name,
      image: this.spec.image ?? '',
      imageID: this.spec.image ? `sk8s-node-agent://${this.spec.image}` : '',
      ...(this.containerId ? { containerID: this.containerId } : {}),
      ready: this.ready,
      started: this.started,
      restartCount: this.restartCount,
      state: this.state,
      lastState: this.lastState,
    };
  }

  private setWaiting(reason: string, message?: string): void {
    this.state = { waiting: { reason, ...(message ? { message } : {}) } };
    this.host.changed();
  }

  /** Resolves the image and starts the process; a failure leaves the container waiting and retries. */
  async start(): Promise<void> {
    if (this.stopping) return;
    const resolved = resolveImage(this.spec.image ?? '', this.host.kubelessRuntimeDir);
    if ('problem' in resolved) {
      this.pullFailures++;
      const reason = this.pullFailures === 1 ? 'ErrImagePull' : 'ImagePullBackOff';
      const message =
        reason === 'ErrImagePull'
          ? resolved.problem
          : `Back-off pulling image "${this.spec.image ?? ''}"`;
      this.setWaiting(reason, message);
      this.host.event(
        this.spec.name,
        'Normal',
        'Pulling',
        `Pulling image "${this.spec.image ?? ''}"`,
      );
      this.host.event(
        this.spec.name,
        'Warning',
        'Failed',
        `Failed to pull image "${this.spec.image ?? ''}": ${resolved.problem}`,
      );
      this.host.event(this.spec.name, 'Warning', 'Failed', `Error: ${reason}`);
      if (reason === 'ImagePullBackOff') {
        this.host.event(
          this.spec.name,
          'Normal',
          'BackOff',
          `Back-off pulling image "${this.spec.image ?? ''}"`,
        );
      }
      this.scheduleRestart(this.nextBackoff());
      return;
    }
    this.pullFailures = 0;
    this.host.event(
      this.spec.name,
      'Normal',
      'Pulled',
      `Container image "${this.spec.image ?? ''}" already present on machine`,
    );
    try {
      await this.launch(resolved.image);
    } catch (err) {
      const reason =
        err instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerError';
      this.setWaiting(reason, (err as Error).message);
      this.host.event(this.spec.name, 'Warning', 'Failed', `Error: ${(err as Error).message}`);
      this.scheduleRestart(this.nextBackoff());
    }
  }

  private nextBackoff(): number {
    this.backoffMs =
      this.backoffMs === 0 ? BACKOFF_START_MS : Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
    return this.backoffMs;
  }

  private scheduleRestart(delayMs: number): void {
    if (this.stopping) return;
    this.restartTimer = setTimeout(() => void this.start(), delayMs);
  }

  private identity(image: LocalImage): { uid: number; gid: number; groups: number[] } {
    const pod = this.host.pod();
    const podContext = pod.spec?.securityContext ?? {};
    const own = this.spec.securityContext ?? {};
    const uid = own.runAsUser ?? podContext.runAsUser ?? image.user;
    const gid = own.runAsGroup ?? podContext.runAsGroup ?? 0;
    if ((own.runAsNonRoot ?? podContext.runAsNonRoot) && uid === 0) {
      // The kubelet's verifyRunAsNonRoot (pkg/kubelet/kuberuntime/security_context_others.go).
      throw new ContainerConfigError(
        `container has runAsNonRoot and image will run as root (pod: "${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})", container: ${this.spec.name})`,
      );
    }
    const groups = [
      ...(podContext.fsGroup !== undefined ? [podContext.fsGroup] : []),
      ...(podContext.supplementalGroups ?? []),
    ];
    return { uid, gid, groups };
  }

  private mounts(): ContainerMount[] {
    return (this.spec.volumeMounts ?? []).map((mount) => {
      const base = this.host.volumePath(mount.name);
      if (!base)
        throw new ContainerConfigError(`volume "${mount.name}" not found in the pod's volumes`);
      return {
        hostPath: mount.subPath ? join(base, mount.subPath) : base,
        containerPath: mount.mountPath,
        readOnly: mount.readOnly ?? false,
      };
    });
  }

  private async launch(image: LocalImage): Promise<void> {
    const pod = this.host.pod();
    const env = await containerEnv(this.host.api, pod, this.spec, this.host.services(), image.env);
    const command = (this.spec.command ?? image.entrypoint).map((arg) => expand(arg, env));
    const args = (this.spec.args ?? (this.spec.command ? [] : image.cmd)).map((arg) =>
      expand(arg, env),
    );
    const argv = [...command, ...args];
    if (argv.length === 0) throw new ContainerConfigError('no command specified');
    const { uid, gid, groups } = this.identity(image);
    const runDir = join(this.host.podDir, 'containers', this.spec.name, String(this.restartCount));
    await rm(runDir, { recursive: true, force: true });
    await mkdir(runDir, { recursive: true });
    const terminationLog = join(runDir, 'termination-log');
    await writeFile(terminationLog, '', { mode: 0o666 });
    const logDir = join(this.host.podDir, 'logs', this.spec.name);
    await mkdir(logDir, { recursive: true });
    this.previousLogFile = this.log?.file;
    const log = new ContainerLog(join(logDir, `${this.restartCount}.log`));
    const child = await startContainerProcess({
      netns: this.host.netns(),
      runDir,
      image,
      mounts: this.mounts(),
      hostsFile: this.host.hostsFile,
      hostnameFile: this.host.hostnameFile,
      terminationLog: {
        hostPath: terminationLog,
        containerPath: this.spec.terminationMessagePath ?? '/dev/termination-log',
      },
      argv,
      env,
      workingDir: this.spec.workingDir ?? image.workingDir,
      uid,
      gid,
      supplementalGroups: groups,
    });
    this.log = log;
    log.attach(child.stdout!, 'stdout');
    log.attach(child.stderr!, 'stderr');
    const startedAt = new Date().toISOString();
    this.process = child;
    this.containerId = `sk8s-node-agent://${child.pid ?? 0}`;
    this.state = { running: { startedAt } };
    this.startupPassed = !this.spec.startupProbe;
    this.readinessPassed = !this.spec.readinessProbe;
    this.updateReadiness();
    this.host.event(this.spec.name, 'Normal', 'Created', `Created container ${this.spec.name}`);
    this.host.event(this.spec.name, 'Normal', 'Started', `Started container ${this.spec.name}`);
    const startedMs = Date.now();
    this.exited = new Promise<number>((resolve) => {
      child.once('error', (err) => {
        this.host.log(`container ${this.spec.name}: ${err.message}`);
        resolve(128);
      });
      child.once('exit', (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
    });
    void this.exited.then((exitCode) =>
      this.onProcessExit(exitCode, startedAt, startedMs, terminationLog),
    );
    this.startProbes();
  }

  private startProbes(): void {
    if (this.init) return;
    const exec = (argv: string[], timeoutMs: number) => this.execInContainer(argv, timeoutMs);
    const make = (kind: 'startup' | 'readiness' | 'liveness', initial: boolean) => {
      const probe = this.spec[`${kind}Probe`];
      if (!probe) return;
      const prober = new Prober(
        probe,
        this.host.podIp(),
        this.spec,
        exec,
        (ok, outcome) => this.probeResult(kind, ok, outcome),
        initial,
      );
      this.probers.push(prober);
      // Readiness and liveness wait for the startup probe, as the kubelet's do.
      if (kind === 'startup' || this.startupPassed) prober.start();
    };
    make('startup', false);
    make('readiness', false);
    make('liveness', true);
  }

  private probeResult(
    kind: 'startup' | 'readiness' | 'liveness',
    ok: boolean,
    outcome: ProbeOutcome,
  ): void {
    if (!this.running) return;
    if (!ok) {
      const label = kind[0]!.toUpperCase() + kind.slice(1);
      this.host.event(
        this.spec.name,
        'Warning',
        'Unhealthy',
        `${label} probe failed: ${outcome.message ?? ''}`,
      );
    }
    if (kind === 'startup' && ok && !this.startupPassed) {
      this.startupPassed = true;
      for (const prober of this.probers) prober.start();
    }
    if (kind === 'readiness') this.readinessPassed = ok;
    if ((kind === 'liveness' || kind === 'startup') && !ok) {
      this.host.event(
        this.spec.name,
        'Normal',
        'Killing',
        `Container ${this.spec.name} failed ${kind} probe, will be restarted`,
      );
      void this.kill(this.host.pod().spec?.terminationGracePeriodSeconds ?? 30);
    }
    this.updateReadiness();
  }

  private updateReadiness(): void {
    this.started = this.running && this.startupPassed;
    this.ready = this.running && this.startupPassed && this.readinessPassed;
    this.host.changed();
  }

  private async onProcessExit(
    exitCode: number,
    startedAt: string,
    startedMs: number,
    terminationLog: string,
  ): Promise<void> {
    for (const prober of this.probers) prober.stop();
    this.probers = [];
    this.process = undefined;
    await this.log?.close();
    let message = (await readFile(terminationLog, 'utf8').catch(() => '')).slice(0, 4096);
    if (
      !message &&
      exitCode !== 0 &&
      this.spec.terminationMessagePolicy === 'FallbackToLogsOnError'
    ) {
      message = (this.log?.tail(2048) ?? '').split('\n').slice(-80).join('\n').trimEnd();
    }
    const terminated: ContainerState = {
      terminated: {
        exitCode,
        reason: exitCode === 0 ? 'Completed' : 'Error',
        ...(message ? { message } : {}),
        startedAt,
        finishedAt: new Date().toISOString(),
        containerID: this.containerId,
      },
    };
    this.state = terminated;
    this.updateReadiness();
    if (Date.now() - startedMs > BACKOFF_RESET_MS) this.backoffMs = 0;
    this.onExit(exitCode);
  }

  /** After an exit the pod wants restarted: CrashLoopBackOff while the back-off runs. */
  restartAfterExit(): void {
    if (this.stopping) return;
    const delay = this.nextBackoff();
    this.lastState = this.state;
    this.restartCount++;
    const pod = this.host.pod();
    const message = `back-off ${Math.round(delay / 1000)}s restarting failed container=${this.spec.name} pod=${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})`;
    this.setWaiting('CrashLoopBackOff', message);
    this.host.event(this.spec.name, 'Warning', 'BackOff', 'Back-off restarting failed container');
    this.scheduleRestart(delay);
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
  async kill(graceSeconds: number): Promise<void> {
    const child = this.process;
    const exited = this.exited;
    if (!child?.pid || !exited) return;
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(
      () => signalGroup(child.pid!, 'SIGKILL'),
      Math.max(graceSeconds, 0) * 1000,
    );
    await exited;
    clearTimeout(timer);
    // What the main process left behind in its group goes too.
    signalGroup(child.pid, 'SIGKILL');
  }

  /** Stops for good (pod deletion): no restart, no probes. */
  async stop(graceSeconds: number): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    for (const prober of this.probers) prober.stop();
    if (this.running) {
      this.host.event(this.spec.name, 'Normal', 'Killing', `Stopping container ${this.spec.name}`);
      await this.kill(graceSeconds);
    }
  }

  /** Runs a command in the container's namespaces and root file system (exec probes). */
  private async execInContainer(
    argv: string[],
    timeoutMs: number,
  ): Promise<{ exitCode: number; output: string }> {
    const resolved = resolveImage(this.spec.image ?? '', this.host.kubelessRuntimeDir);
    if ('problem' in resolved) return { exitCode: 1, output: resolved.problem };
    const pod = this.host.pod();
    const env = await containerEnv(
      this.host.api,
      pod,
      this.spec,
      this.host.services(),
      resolved.image.env,
    );
    const { uid, gid, groups } = this.identity(resolved.image);
    const runDir = join(this.host.podDir, 'exec', `${this.spec.name}-${Date.now()}`);
    await mkdir(runDir, { recursive: true });
    const terminationLog = join(runDir, 'termination-log');
    await writeFile(terminationLog, '');
    const child = await startContainerProcess({
      netns: this.host.netns(),
      runDir,
      image: resolved.image,
      mounts: this.mounts(),
      hostsFile: this.host.hostsFile,
      hostnameFile: this.host.hostnameFile,
      terminationLog: { hostPath: terminationLog, containerPath: '/dev/termination-log' },
      argv,
      env,
      workingDir: this.spec.workingDir ?? resolved.image.workingDir,
      uid,
      gid,
      supplementalGroups: groups,
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.pid && signalGroup(child.pid, 'SIGKILL'), timeoutMs);
    const exitCode = await new Promise<number>((resolve) => {
      child.once('error', () => resolve(126));
      child.once('exit', (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
    });
    clearTimeout(timer);
    await rm(runDir, { recursive: true, force: true }).catch(() => undefined);
    return { exitCode, output: output.slice(-1024) };
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGKILL: 9,
    SIGTERM: 15,
  };
  return (signal && numbers[signal]) ?? 0;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}
