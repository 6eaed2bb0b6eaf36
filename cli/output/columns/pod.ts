import {
  ANNOTATION_PROXY_ADMIN,
  ANNOTATION_PROXY_INBOUND,
  type KubeObject,
  type Pod,
} from '../../../engine/resources/index.js';
import { ageOf } from '../age.js';
import type { Columns, RowContext } from './types.js';

interface ContainerState {
  waiting?: { reason?: string };
  running?: { startedAt?: string };
  terminated?: { reason?: string; exitCode?: number; signal?: number | string; finishedAt?: string };
}
interface ContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

/** kubectl's STATUS of a pod (`printPod`): a container's waiting or terminated reason, Terminating, else the phase */
export function podStatus(pod: Pod): string {
  let reason: string = (pod.status as { reason?: string } | undefined)?.reason ?? pod.status?.phase ?? 'Unknown';
  const statuses = (pod.status?.containerStatuses ?? []) as ContainerStatus[];
  let running = false;
  for (const cs of [...statuses].reverse()) {
    const st = cs.state ?? {};
    if (st.waiting?.reason) reason = st.waiting.reason;
    else if (st.terminated?.reason) reason = st.terminated.reason;
    else if (st.terminated)
      reason =
        st.terminated.signal !== undefined ? `Signal:${st.terminated.signal}` : `ExitCode:${st.terminated.exitCode}`;
    else if (cs.ready && st.running) running = true;
  }
  if (reason === 'Completed' && running) reason = 'Running';
  if (pod.metadata.deletionTimestamp) reason = 'Terminating';
  return reason;
}

/** `N` or `N (Ms ago)` after a restart, as kubectl prints RESTARTS */
export function podRestarts(pod: Pod, now: number): string {
  const statuses = (pod.status?.containerStatuses ?? []) as ContainerStatus[];
  const restarts = statuses.reduce((n, cs) => n + cs.restartCount, 0);
  const last = statuses
    .map((cs) => cs.lastState?.terminated?.finishedAt)
    .filter((t): t is string => t !== undefined)
    .sort()
    .pop();
  return restarts > 0 && last ? `${restarts} (${ageOf(last, now)} ago)` : String(restarts);
}

export const podColumns: Columns = {
  head: (wide) => [
    'NAME',
    'READY',
    'STATUS',
    'RESTARTS',
    'AGE',
    ...(wide ? ['IP', 'NODE', 'PROXY-INBOUND', 'PROXY-ADMIN'] : []),
  ],
  row(o: KubeObject, ctx: RowContext) {
    const pod = o as Pod;
    const statuses = pod.status?.containerStatuses ?? [];
    const total = Math.max(pod.spec.containers.length, statuses.length);
    const ready = statuses.filter((c) => c.ready).length;
    const row = [
      pod.metadata.name,
      `${ready}/${total}`,
      podStatus(pod),
      podRestarts(pod, ctx.now),
      ageOf(pod.metadata.creationTimestamp, ctx.now),
    ];
    if (ctx.wide) {
      // where the pod's sidecar process listens (weir up's local runtime), as its annotations say
      const annotations = pod.metadata.annotations ?? {};
      row.push(
        pod.status?.podIP ?? '<none>',
        (pod.spec as { nodeName?: string }).nodeName ?? 'local',
        annotations[ANNOTATION_PROXY_INBOUND] ?? '<none>',
        annotations[ANNOTATION_PROXY_ADMIN] ?? '<none>',
      );
    }
    return row;
  },
};
