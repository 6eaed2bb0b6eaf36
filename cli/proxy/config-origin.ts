import type { FileConfigSource, FileReload } from '../../controlplane/discovery/index.js';
import type { ConfigSource, MeshSnapshot } from '../../engine/mesh/snapshot.js';
import { checkAddress, GrpcConfigSource } from '../../proxy/control/index.js';

// the file's reader (discovery, a memory store) is imported only by `--config`: a sidecar of weir up
// (`--control-plane`) starts without it

/** Where `weir proxy` gets its configuration: a file, or the control plane. */
export interface ConfigOrigin {
  source: ConfigSource;
  /** `config FILE` or `control plane HOST:PORT`, as the ready line says it */
  label: string;
  /** what the admin port's `/config` shows about it */
  describe(): Record<string, unknown>;
  /** from now on every change is reported (the first configuration is the ready line's) */
  started(): void;
  close(): void;
}

export interface OriginHooks {
  say(line: string): void;
  warn(line: string): void;
  /** a change is about to be reported: wait for the listeners to follow it */
  settled(): Promise<void>;
  /** the outbound side's listeners after a change */
  announceListeners(): void;
}

/** the `--config` / `--control-plane` pair: exactly one, well formed; else what is wrong */
export function checkOrigin(opts: { config?: string; controlPlane?: string }): string | undefined {
  if ((opts.config === undefined) === (opts.controlPlane === undefined))
    return 'exactly one of --config FILE and --control-plane HOST:PORT is required';
  if (opts.controlPlane !== undefined) {
    const bad = checkAddress(opts.controlPlane);
    if (bad !== undefined) return `--control-plane: ${bad}`;
  }
  return undefined;
}

/** `--config FILE`: read and followed; undefined (after saying why) when the file is refused at start */
export async function openFileOrigin(file: string, hooks: OriginHooks): Promise<ConfigOrigin | undefined> {
  let started = false;
  const onReload = (r: FileReload): void => {
    for (const w of r.warnings) hooks.warn(`warning: ${w}`);
    if (!r.ok) {
      for (const e of r.errors) hooks.warn(`config rejected: ${e}`);
      hooks.warn(`config rejected: keeping version ${r.version}`);
      return;
    }
    if (!started) return;
    void hooks.settled().then(() => {
      hooks.announceListeners();
      hooks.say(`config ${r.file} applied (version ${r.version}, ${r.objects} objects)`);
    });
  };
  const { FileConfigSource, MeshFileError } = await import('../../controlplane/discovery/index.js');
  let source: FileConfigSource;
  try {
    source = await FileConfigSource.open(file, { onReload });
  } catch (err) {
    if (!(err instanceof MeshFileError)) throw err;
    for (const w of err.warnings) hooks.warn(`warning: ${w}`);
    for (const e of err.errors) hooks.warn(`config rejected: ${e}`);
    return undefined;
  }
  for (const w of source.initial.warnings) hooks.warn(`warning: ${w}`);
  return {
    source,
    label: `config ${source.file}`,
    describe: () => ({ file: source.file, version: source.current().version }),
    started: () => (started = true),
    close: () => source.close(),
  };
}

/**
 * `--control-plane HOST:PORT`: the Destination API, followed for good. Resolves with the first whole
 * configuration (it waits as long as it takes, retrying with backoff, saying so on stderr).
 */
export async function openControlPlaneOrigin(
  address: string,
  workload: { namespace?: string | undefined; pod?: string | undefined },
  hooks: OriginHooks,
): Promise<ConfigOrigin> {
  let started = false;
  const source: GrpcConfigSource = new GrpcConfigSource({
    address,
    ...(workload.namespace !== undefined ? { namespace: workload.namespace } : {}),
    ...(workload.pod !== undefined ? { pod: workload.pod } : {}),
    onRejected: (errors) => {
      for (const e of errors) hooks.warn(`config rejected: control plane ${address}: ${e}`);
      hooks.warn(`config rejected: keeping version ${source.current().version}`);
    },
    onDown: (what, reason, retryInMs) => {
      // one line per outage of the control plane, not one per stream
      if (what !== 'services') return;
      hooks.warn(
        `control plane ${address} unreachable (${reason.code}: ${reason.details}), keeping version ${source.current().version}, retrying in ${retryInMs} ms`,
      );
    },
    onApplied: (s: MeshSnapshot) => {
      if (!started) return;
      void hooks.settled().then(() => {
        hooks.announceListeners();
        hooks.say(`config from control plane ${address} applied (version ${s.version})`);
      });
    },
  });
  await source.ready();
  return {
    source,
    label: `control plane ${address}`,
    describe: () => ({ controlPlane: address, version: source.current().version }),
    started: () => (started = true),
    close: () => source.close(),
  };
}
