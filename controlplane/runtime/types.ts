/** What the runtime tells a sidecar factory about the instance it is starting a sidecar for. */
export interface SidecarPod {
  namespace: string;
  /** the Pod's name */
  name: string;
  deployment: string;
  labels: Record<string, string>;
  /** the pod's `serviceAccountName` (`default` without one): the identity its sidecar proves */
  serviceAccount: string;
  /** the port the app listens on (its `PORT`), on 127.0.0.1 */
  appPort: number;
  /**
   * `<namespace>/<release>` when the pod is a canary of a coordinated release (its workload is the target of
   * a Canary labelled `weir.io/release`): its sidecar puts `weir-lane` on every outbound request
   */
  lane?: string;
}

/** A running sidecar: its inbound listener (where the mesh sends this instance's traffic) and admin port. */
export interface Sidecar {
  inboundPort: number;
  adminPort: number;
  /** `127.0.0.1:PORT` of its outbound side for the app (`HTTP_PROXY`, `WEIR_OUTBOUND`), when it has one */
  outboundProxy?: string;
  /** a sidecar process proving the pod's identity: the Pod shows it (`weir.io/proxy-inbound`, `weir.io/proxy-admin`) */
  meshed?: boolean;
  /** told when the sidecar dies (false; it is being restarted) and when it is back (true) */
  onHealth?(listener: (up: boolean) => void): void;
  /**
   * a sidecar that is a container of its own (a process): its entry in the Pod's `containerStatuses`, as the
   * kubelet reports the `linkerd-proxy` container of an injected pod; the Pod then lists it as a second container
   */
  status?(): SidecarContainerStatus;
  close(): Promise<void>;
}

/**
 * Starts the sidecar of one instance. The CLI passes the proxy's inbound listener; tests pass a fake
 * or nothing (then traffic goes straight to the app and no admin port is announced).
 */
export type SidecarFactory = (pod: SidecarPod) => Promise<Sidecar>;

/** The `containerStatuses[]` entry of a sidecar container (`weir-proxy`), less its name and image. */
export interface SidecarContainerStatus {
  ready: boolean;
  started: boolean;
  restartCount: number;
  /** `{ running: { startedAt } }`, or `{ waiting: { reason, message } }` between a death and the next start */
  state: Record<string, unknown>;
  /** `{ terminated: { exitCode, reason, finishedAt, signal? } }` once it has died */
  lastState?: Record<string, unknown>;
}
