import { status, type ServerWritableStream } from '@grpc/grpc-js';
import type { ConfigSource, MeshSnapshot } from '../../engine/mesh/snapshot.js';
import type { InboundServerPoliciesHandlers } from '../../proto/generated/weir/inbound/v1/InboundServerPolicies.js';
import type { PortSpec__Output } from '../../proto/generated/weir/inbound/v1/PortSpec.js';
import type { Server } from '../../proto/generated/weir/inbound/v1/Server.js';
import { StreamQueue } from '../grpc/stream-queue.js';
import type { PolicyInputsSource } from './inputs.js';
import { parseWorkload, serverPolicy } from './translate.js';

export interface InboundPolicyServiceOptions {
  configSource: ConfigSource;
  /** the policy objects, pods and mesh defaults (default: none, every port gets the mesh default) */
  policyInputs?: PolicyInputsSource;
  queueCapacity: number;
  onOverflow?: (rpc: string, what: string) => void;
}

/** InboundServerPolicies over a `ConfigSource`: the port's policy first, then again whenever it changes. */
export function inboundPolicyService(options: InboundPolicyServiceOptions): InboundServerPoliciesHandlers {
  return {
    WatchPort(call: ServerWritableStream<PortSpec__Output, Server>) {
      const workload = parseWorkload(call.request.workload);
      const port = call.request.port;
      if (workload === undefined || !(port >= 1 && port <= 65535)) {
        call.emit('error', {
          code: status.INVALID_ARGUMENT,
          details:
            workload === undefined
              ? `workload: expected {"ns":"NS","pod":"POD"} or NS:POD, got ${JSON.stringify(call.request.workload)}`
              : `port: expected a port number, got ${port}`,
        });
        return;
      }
      const what = `${workload.namespace}/${workload.pod}:${port}`;
      let unsubscribe: () => unknown = () => undefined;
      let unsubscribeInputs: () => unknown = () => undefined;
      const queue = new StreamQueue<Server>(call, options.queueCapacity, () => {
        unsubscribe();
        unsubscribeInputs();
        options.onOverflow?.('InboundServerPolicies.WatchPort', what);
      });
      let sent: string | undefined;
      const send = (snapshot: MeshSnapshot): void => {
        const server = serverPolicy(snapshot, workload, port, options.policyInputs?.current());
        const key = JSON.stringify(server);
        if (key === sent) return;
        sent = key;
        queue.push(server);
      };
      const stop = () => {
        unsubscribe();
        unsubscribeInputs();
        queue.close();
      };
      call.on('cancelled', stop);
      call.on('close', stop);
      unsubscribe = options.configSource.subscribe((s) => {
        if (!queue.isClosed) send(s);
      });
      unsubscribeInputs =
        options.policyInputs?.subscribe(() => {
          if (!queue.isClosed) send(options.configSource.current());
        }) ?? (() => undefined);
      send(options.configSource.current());
    },
  };
}
