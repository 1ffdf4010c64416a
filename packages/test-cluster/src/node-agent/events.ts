// Events about pods, as the kubelet records them (source component "kubelet"); a repeat of the same
// reason and message on the same object bumps the count of the first event instead of adding one,
// as client-go's event correlator does.
import { randomBytes } from 'node:crypto';
import type { Event, ObjectReference } from 'kubernetes-types/core/v1.js';
import { ApiError, type KubeApi } from '../kube-api.js';

export class EventRecorder {
  private readonly seen = new Map<string, { name: string; count: number }>();

  constructor(
    private readonly api: KubeApi,
    private readonly nodeName: string,
    private readonly log: (message: string) => void,
  ) {}

  record(
    object: ObjectReference,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): void {
    void this.write(object, type, reason, message).catch((err: Error) => {
      // A namespace being deleted takes no new events; nothing is lost that anyone could read.
      if (
        err instanceof ApiError &&
        err.status === 403 &&
        /being terminated/.test(err.responseText)
      )
        return;
      this.log(
        `event ${reason} for ${object.namespace ?? ''}/${object.name ?? ''}: ${err.message}`,
      );
    });
  }

  private async write(
    object: ObjectReference,
    type: string,
    reason: string,
    message: string,
  ): Promise<void> {
    const namespace = object.namespace ?? 'default';
    const key = [object.uid, object.fieldPath, type, reason, message].join('\u0000');
    const now = new Date().toISOString();
    const previous = this.seen.get(key);
    if (previous) {
      previous.count++;
      await this.api.expect('PATCH', `/api/v1/namespaces/${namespace}/events/${previous.name}`, {
        body: { count: previous.count, lastTimestamp: now },
        contentType: 'application/merge-patch+json',
      });
      return;
    }
    const name = `${object.name ?? 'object'}.${randomBytes(8).toString('hex')}`;
    this.seen.set(key, { name, count: 1 });
    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: object,
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: 'kubelet', host: this.nodeName },
      reportingComponent: 'kubelet',
      reportingInstance: this.nodeName,
    };
    await this.api.expect('POST', `/api/v1/namespaces/${namespace}/events`, { body: event });
  }

  /** Forgets the correlation keys of a deleted object. */
  forget(uid: string): void {
    for (const key of this.seen.keys()) if (key.startsWith(`${uid}\u0000`)) this.seen.delete(key);
  }
}
