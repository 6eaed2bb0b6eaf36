/** What the runtime tells a sidecar factory about the instance it is starting a sidecar for. */
export interface SidecarPod {
  namespace: string;
  /** the Pod's name */
  name: string;
  deployment: string;
  labels: Record<string, string>;
  /** the port the app listens on (its `PORT`), on 127.0.0.1 */
  appPort: number;
}

/** A running sidecar: its inbound listener (where the mesh sends this instance's traffic) and admin port. */
export interface Sidecar {
  inboundPort: number;
  adminPort: number;
  close(): Promise<void>;
}

/**
 * Starts the sidecar of one instance. The CLI passes the proxy's inbound listener; tests pass a fake
 * or nothing (then traffic goes straight to the app and no admin port is announced).
 */
export type SidecarFactory = (pod: SidecarPod) => Promise<Sidecar>;
