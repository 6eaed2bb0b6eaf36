import { status, type ServerWritableStream } from '@grpc/grpc-js';
import { EGRESS_GROUP, GLOBAL_EGRESS_NAMESPACE, type EgressObjects } from '../../engine/policy/egress.js';
import type { HTTPRoute, TCPRoute, TLSRoute } from '../../engine/resources/index.js';
import type { EgressPoliciesHandlers } from '../../proto/generated/weir/egress/v1/EgressPolicies.js';
import type { EgressPolicy } from '../../proto/generated/weir/egress/v1/EgressPolicy.js';
import type { EgressWatch__Output } from '../../proto/generated/weir/egress/v1/EgressWatch.js';
import { resourceMessage } from '../destination/translate.js';
import { StreamQueue } from '../grpc/stream-queue.js';
import type { EgressInputsSource } from './inputs.js';

export interface EgressPolicyServiceOptions {
  /** the EgressNetworks and routes (default: none, egress is not controlled) */
  egressInputs?: EgressInputsSource;
  /** Linkerd's `linkerd-egress` by default */
  globalNamespace?: string;
  queueCapacity: number;
  onOverflow?: (rpc: string, what: string) => void;
}

/** the client namespace of a context token (`{"ns":"test",...}`) */
export function tokenNamespace(token: string): string | undefined {
  try {
    const ns = (JSON.parse(token) as { ns?: unknown }).ns;
    return typeof ns === 'string' && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) ? ns : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a client of namespace `ns` is sent: the EgressNetworks of its namespace and of the global one, and
 * the routes parented to them that are in a namespace that counts for it (the network's own, or `ns`).
 */
export function egressPolicyFor(objects: EgressObjects, ns: string, globalNs: string): EgressPolicy {
  const nets = objects.egressNetworks.filter((n) => {
    const nns = n.metadata.namespace ?? 'default';
    return nns === ns || nns === globalNs;
  });
  const names = new Set(nets.map((n) => `${n.metadata.namespace ?? 'default'}/${n.metadata.name}`));
  const parented = <R extends HTTPRoute | TCPRoute | TLSRoute>(routes: readonly R[]): R[] =>
    routes.filter((r) => {
      const rns = r.metadata.namespace ?? 'default';
      return (r.spec.parentRefs ?? []).some(
        (p) =>
          p.group === EGRESS_GROUP &&
          p.kind === 'EgressNetwork' &&
          names.has(`${p.namespace ?? rns}/${p.name}`) &&
          (rns === ns || rns === (p.namespace ?? rns)),
      );
    });
  return {
    globalNamespace: globalNs,
    egressNetworks: nets.map(resourceMessage),
    httpRoutes: parented(objects.httpRoutes).map(resourceMessage),
    tcpRoutes: parented(objects.tcpRoutes).map(resourceMessage),
    tlsRoutes: parented(objects.tlsRoutes).map(resourceMessage),
  };
}

function policyKey(p: EgressPolicy): string {
  const text = (rs: EgressPolicy['httpRoutes']) =>
    (rs ?? []).map((r) => Buffer.from(r.json as Buffer).toString()).join('\n');
  return [p.globalNamespace, text(p.egressNetworks), text(p.httpRoutes), text(p.tcpRoutes), text(p.tlsRoutes)].join(
    '\0',
  );
}

const EMPTY: EgressObjects = { egressNetworks: [], httpRoutes: [], tcpRoutes: [], tlsRoutes: [] };

/** EgressPolicies over the store's egress objects: the namespace's policy first, then again whenever it changes. */
export function egressPolicyService(options: EgressPolicyServiceOptions): EgressPoliciesHandlers {
  const globalNs = options.globalNamespace ?? GLOBAL_EGRESS_NAMESPACE;
  return {
    Watch(call: ServerWritableStream<EgressWatch__Output, EgressPolicy>) {
      const ns = tokenNamespace(call.request.contextToken);
      if (ns === undefined) {
        call.emit('error', {
          code: status.INVALID_ARGUMENT,
          details: `context_token: expected {"ns":"NAMESPACE",...}, got ${JSON.stringify(call.request.contextToken)}`,
        });
        return;
      }
      let unsubscribe: () => unknown = () => undefined;
      const queue = new StreamQueue<EgressPolicy>(call, options.queueCapacity, () => {
        unsubscribe();
        options.onOverflow?.('EgressPolicies.Watch', ns);
      });
      let sent: string | undefined;
      const send = (): void => {
        const policy = egressPolicyFor(options.egressInputs?.current() ?? EMPTY, ns, globalNs);
        const key = policyKey(policy);
        if (key === sent) return;
        sent = key;
        queue.push(policy);
      };
      const stop = () => {
        unsubscribe();
        queue.close();
      };
      call.on('cancelled', stop);
      call.on('close', stop);
      call.on('error', stop);
      unsubscribe =
        options.egressInputs?.subscribe(() => {
          if (!queue.isClosed) send();
        }) ?? (() => undefined);
      send();
    },
  };
}
