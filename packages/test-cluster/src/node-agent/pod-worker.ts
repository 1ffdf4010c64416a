// One pod bound to this node, from scheduling to deletion, as the kubelet's pod worker runs it:
// volumes, then the sandbox (network namespace and address), then the init containers one after
// another, then the containers, with the pod's status written through pods/status; on deletion the
// containers get SIGTERM and the grace period, and the pod object is deleted for good.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Container, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import type { KubeApi } from '../kube-api.js';
import { ContainerRunner } from './container-runner.js';
import type { EventRecorder } from './events.js';
import type { LogSource } from './logs.js';
import type { NodeNetwork, PodSandbox } from './network.js';
import type { ServiceProxy } from './service-proxy.js';
import { materializeVolume, MountError } from './volumes.js';

export interface PodWorkerDeps {
  api: KubeApi;
  network: NodeNetwork;
  proxy: ServiceProxy;
  events: EventRecorder;
  stateDir: string;
  kubelessRuntimeDir: string;
  log: (message: string) => void;
}

const MOUNT_RETRY_MS = 2_000;

export class PodWorker {
  private pod: Pod;
  private sandbox: PodSandbox | undefined;
  private readonly volumes = new Map<string, string>();
  private readonly initRunners: ContainerRunner[] = [];
  private readonly runners: ContainerRunner[] = [];
  private initialized = false;
  private phase: PodStatus['phase'] = 'Pending';
  private terminating: Promise<void> | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private statusWrite: Promise<void> = Promise.resolve();
  private readonly podDir: string;
  private readonly startTime = new Date().toISOString();
  private readonly hostsFile: string;
  private readonly hostnameFile: string;
  private initIndex = 0;

  constructor(
    pod: Pod,
    private readonly deps: PodWorkerDeps,
  ) {
    this.pod = pod;
    this.podDir = join(deps.stateDir, 'pods', pod.metadata?.uid ?? 'unknown');
    this.hostsFile = join(this.podDir, 'hosts');
    this.hostnameFile = join(this.podDir, 'hostname');
  }

  get uid(): string {
    return this.pod.metadata?.uid ?? '';
  }

  get key(): string {
    return `${this.pod.metadata?.namespace ?? ''}/${this.pod.metadata?.name ?? ''}`;
  }

  update(pod: Pod): void {
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp) void this.terminate();
  }

  /** Where `logs` finds a container's output. */
  logSource(container: string, previous: boolean): LogSource | undefined {
    const runner = [...this.runners, ...this.initRunners].find((r) => r.spec.name === container);
    const file = runner?.logFile(previous);
    if (!runner || !file) return undefined;
    return { file, running: () => !previous && runner.running };
  }

  containerNames(): string[] {
    return [...this.initRunners, ...this.runners].map((r) => r.spec.name);
  }

  async start(): Promise<void> {
    const spec = this.pod.spec;
    if (!spec) return;
    await mkdir(this.podDir, { recursive: true });
    for (const container of spec.initContainers ?? []) {
      this.initRunners.push(this.runner(container, true));
    }
    for (const container of spec.containers) this.runners.push(this.runner(container, false));
    for (const runner of this.runners) {
      runner.state = {
        waiting: { reason: this.initRunners.length > 0 ? 'PodInitializing' : 'ContainerCreating' },
      };
    }
    this.changed();
    if (!(await this.mountVolumes())) return;
    if (this.terminating) return;
    try {
      this.sandbox = await this.deps.network.createSandbox();
    } catch (err) {
      this.event(
        undefined,
        'Warning',
        'FailedCreatePodSandBox',
        `Failed to create pod sandbox: ${(err as Error).message}`,
      );
      return;
    }
    await this.writeHosts();
    await writeFile(this.hostnameFile, `${this.pod.metadata?.name ?? ''}\n`);
    this.changed();
    if (this.terminating) return;
    this.runNextInit();
  }

  private runner(container: Container, init: boolean): ContainerRunner {
    const runner: ContainerRunner = new ContainerRunner(
      container,
      init,
      {
        pod: () => this.pod,
        podDir: this.podDir,
        netns: () => this.sandbox?.netns ?? '',
        podIp: () => this.sandbox?.podIp ?? '',
        hostsFile: this.hostsFile,
        hostnameFile: this.hostnameFile,
        volumePath: (name) => this.volumes.get(name),
        services: () => this.deps.proxy.servicesIn(this.pod.metadata?.namespace ?? ''),
        api: this.deps.api,
        kubelessRuntimeDir: this.deps.kubelessRuntimeDir,
        event: (name, type, reason, message) =>
          this.event(
            `${init ? 'spec.initContainers' : 'spec.containers'}{${name}}`,
            type,
            reason,
            message,
          ),
        changed: () => this.changed(),
        log: this.deps.log,
      },
      (exitCode) => this.exited(runner, exitCode),
    );
    return runner;
  }

  private async mountVolumes(): Promise<boolean> {
    let lastProblem = '';
    for (;;) {
      if (this.terminating) return false;
      try {
        for (const volume of this.pod.spec?.volumes ?? []) {
          if (this.volumes.has(volume.name)) continue;
          const made = await materializeVolume(this.deps.api, this.pod, volume, this.podDir);
          this.volumes.set(made.name, made.path);
        }
        return true;
      } catch (err) {
        if (!(err instanceof MountError)) throw err;
        if (err.message !== lastProblem) {
          lastProblem = err.message;
          this.event(
            undefined,
            'Warning',
            'FailedMount',
            `MountVolume.SetUp failed: ${err.message}`,
          );
        }
        await sleep(MOUNT_RETRY_MS);
      }
    }
  }

  /** /etc/hosts of the pod: itself and every Service (rewritten in place when Services change). */
  async writeHosts(): Promise<void> {
    if (!this.sandbox || this.terminating) return;
    const lines = [
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      `${this.sandbox.podIp}\t${this.pod.metadata?.name ?? ''}`,
      ...this.deps.proxy.hostsEntries(this.pod.metadata?.namespace ?? ''),
    ];
    await writeFile(this.hostsFile, `${lines.join('\n')}\n`);
  }

  private runNextInit(): void {
    const next = this.initRunners[this.initIndex];
    if (next) {
      void next.start();
      return;
    }
    this.initialized = true;
    for (const runner of this.runners) void runner.start();
    this.changed();
  }

  private exited(runner: ContainerRunner, exitCode: number): void {
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    if (this.terminating) return;
    if (runner.init) {
      if (exitCode === 0) {
        this.initIndex++;
        this.runNextInit();
      } else if (policy === 'Never') {
        this.phase = 'Failed';
        this.changed();
      } else {
        runner.restartAfterExit();
      }
      return;
    }
    const restart = policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
    if (restart) runner.restartAfterExit();
    this.changed();
  }

  private event(
    fieldPath: string | undefined,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): void {
    this.deps.events.record(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        namespace: this.pod.metadata?.namespace,
        name: this.pod.metadata?.name,
        uid: this.pod.metadata?.uid,
        ...(fieldPath ? { fieldPath } : {}),
      },
      type,
      reason,
      message,
    );
  }

  /** The pod phase from its containers (pkg/kubelet/kubelet_pods.go getPhase). */
  private computePhase(): PodStatus['phase'] {
    if (this.phase === 'Failed') return 'Failed';
    if (!this.initialized) return 'Pending';
    const states = this.runners.map((r) => r.state);
    if (states.some((s) => s.running)) return 'Running';
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    const terminated = states.filter((s) => s.terminated);
    if (terminated.length === states.length && policy !== 'Always') {
      return terminated.every((s) => s.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
    }
    // Restarting containers (CrashLoopBackOff) leave a started pod Running.
    return this.runners.some((r) => r.restartCount > 0 || r.state.terminated)
      ? 'Running'
      : 'Pending';
  }

  private status(): PodStatus {
    const now = new Date().toISOString();
    const previous = new Map((this.pod.status?.conditions ?? []).map((c) => [c.type, c]));
    const condition = (type: string, ok: boolean, reason?: string): PodCondition => {
      const status = ok ? 'True' : 'False';
      const before = previous.get(type);
      return {
        type,
        status,
        lastProbeTime: null as unknown as string,
        lastTransitionTime: before?.status === status ? before.lastTransitionTime : now,
        ...(reason && !ok ? { reason } : {}),
      };
    };
    const phase = this.computePhase();
    const finished = phase === 'Succeeded' || phase === 'Failed';
    const containersReady = this.runners.every((r) => r.ready);
    const notReady = finished ? 'PodCompleted' : 'ContainersNotReady';
    const scheduled = previous.get('PodScheduled');
    return {
      phase,
      conditions: [
        condition('Initialized', this.initialized || finished, 'ContainersNotInitialized'),
        condition('Ready', containersReady && !finished, notReady),
        condition('ContainersReady', containersReady && !finished, notReady),
        ...(scheduled ? [scheduled] : []),
      ],
      hostIP: this.deps.network.nodeIp,
      ...(this.sandbox ? { podIP: this.sandbox.podIp, podIPs: [{ ip: this.sandbox.podIp }] } : {}),
      startTime: this.startTime,
      ...(this.initRunners.length > 0
        ? { initContainerStatuses: this.initRunners.map((r) => r.status()) }
        : {}),
      containerStatuses: this.runners.map((r) => r.status()),
      qosClass: this.pod.status?.qosClass ?? 'BestEffort',
    };
  }

  /** Coalesces status changes into one pods/status write every 50 ms at most. */
  private changed(): void {
    if (this.statusTimer || this.terminating) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      this.statusWrite = this.statusWrite.then(() => this.writeStatus());
    }, 50);
  }

  private async writeStatus(): Promise<void> {
    const { namespace = '', name = '' } = this.pod.metadata ?? {};
    const resp = await this.deps.api
      .request<Pod>('PATCH', `/api/v1/namespaces/${namespace}/pods/${name}/status`, {
        body: { status: this.status() },
        contentType: 'application/merge-patch+json',
      })
      .catch((err: Error) => ({ status: 0, text: err.message, body: undefined }));
    if (resp.status === 200 && resp.body) this.pod = { ...this.pod, status: resp.body.status };
    else if (resp.status !== 404)
      this.deps.log(`status of pod ${this.key}: HTTP ${resp.status} ${resp.text.slice(0, 200)}`);
  }

  /** Graceful deletion: stop the containers within the grace period, then delete the pod object. */
  terminate(): Promise<void> {
    this.terminating ??= (async () => {
      const grace =
        this.pod.metadata?.deletionGracePeriodSeconds ??
        this.pod.spec?.terminationGracePeriodSeconds ??
        30;
      if (this.statusTimer) clearTimeout(this.statusTimer);
      await this.statusWrite;
      await Promise.all([...this.runners, ...this.initRunners].map((r) => r.stop(grace)));
      await this.sandbox?.destroy();
      await rm(this.podDir, { recursive: true, force: true }).catch(() => undefined);
      const { namespace = '', name = '' } = this.pod.metadata ?? {};
      const resp = await this.deps.api
        .request('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, {
          body: {
            kind: 'DeleteOptions',
            apiVersion: 'v1',
            gracePeriodSeconds: 0,
            preconditions: { uid: this.uid },
          },
        })
        .catch((err: Error) => ({ status: 0, text: err.message }));
      if (resp.status !== 200 && resp.status !== 404 && resp.status !== 409) {
        this.deps.log(`deleting pod ${this.key}: HTTP ${resp.status} ${resp.text.slice(0, 200)}`);
      }
      this.deps.events.forget(this.uid);
    })();
    return this.terminating;
  }

  /** The agent is stopping: kill the processes and free the sandbox, leaving the pod object. */
  async shutDown(): Promise<void> {
    this.terminating ??= (async () => {
      if (this.statusTimer) clearTimeout(this.statusTimer);
      await Promise.all([...this.runners, ...this.initRunners].map((r) => r.stop(0)));
      await this.sandbox?.destroy();
    })();
    await this.terminating;
  }
}
