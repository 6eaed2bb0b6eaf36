import type { WorkloadPort } from '../../engine/policy/index.js';
import { ANNOTATION_APP_PORT, ANNOTATION_INBOUND_PORT, type Pod } from '../../engine/resources/index.js';

interface ContainerSpec {
  ports?: Array<{ name?: string; containerPort?: number }>;
  readinessProbe?: { httpGet?: { path?: string } };
  livenessProbe?: { httpGet?: { path?: string } };
  startupProbe?: { httpGet?: { path?: string } };
}

/**
 * The port of a pod a proxy asks about (`PortSpec.port`: its sidecar's inbound port, or the app's) as
 * the policy compiler sees it: the pod's labels, annotations and ServiceAccount (`default` when unset),
 * and the container's ports. In the local runtime every containerPort of the container is the app's one
 * port, so a Server naming any of them (by number or name) selects it; the probes' HTTP paths are the
 * kubelet's rule.
 */
export function workloadPortOf(pod: Pod, port: number): WorkloadPort {
  const annotations = pod.metadata.annotations ?? {};
  const spec = pod.spec as { serviceAccountName?: string; serviceAccount?: string; containers: ContainerSpec[] };
  const containers = spec.containers ?? [];
  const declared = containers.flatMap((c) => c.ports ?? []);
  const numbers = declared.map((p) => p.containerPort).filter((n): n is number => typeof n === 'number');
  const sidecarPorts = [annotations[ANNOTATION_INBOUND_PORT], annotations[ANNOTATION_APP_PORT]].map(Number);
  const isPodPort = sidecarPorts.includes(port) || numbers.includes(port);
  const portNames: Record<string, number> = {};
  for (const p of declared)
    if (p.name !== undefined && p.containerPort !== undefined) portNames[p.name] = p.containerPort;
  const probePaths = containers
    .flatMap((c) => [c.readinessProbe, c.livenessProbe, c.startupProbe])
    .map((p) => p?.httpGet?.path)
    .filter((p): p is string => typeof p === 'string');
  return {
    namespace: pod.metadata.namespace,
    labels: pod.metadata.labels ?? {},
    annotations,
    serviceAccount: spec.serviceAccountName ?? spec.serviceAccount ?? 'default',
    port: isPodPort && numbers[0] !== undefined ? numbers[0] : port,
    ...(isPodPort ? { otherPorts: numbers } : {}),
    portNames,
    ...(probePaths.length > 0 ? { probePaths: [...new Set(probePaths)] } : {}),
  };
}
