import { status, type ServerWritableStream } from '@grpc/grpc-js';
import type { ConfigSource } from '../../engine/mesh/snapshot.js';
import { formatAuthority, parseAuthority } from '../../proto/authority.js';
import type { DestinationHandlers } from '../../proto/generated/weir/destination/v1/Destination.js';
import type { GetDestination__Output } from '../../proto/generated/weir/destination/v1/GetDestination.js';
import type { ServiceList } from '../../proto/generated/weir/destination/v1/ServiceList.js';
import type { Update } from '../../proto/generated/weir/destination/v1/Update.js';
import type { WatchServicesRequest__Output } from '../../proto/generated/weir/destination/v1/WatchServicesRequest.js';
import { StreamQueue } from '../grpc/stream-queue.js';
import { AuthorityFeed, ServicesFeed } from './feeds.js';

export interface DestinationServiceOptions {
  configSource: ConfigSource;
  /** most updates waiting per stream before it is closed (Linkerd: 100) */
  queueCapacity: number;
  /** a stream closed because its client did not keep up */
  onOverflow?: (rpc: string, what: string) => void;
}

/**
 * The Destination service over a `ConfigSource`: per stream, the whole state first, then what changed
 * at each new snapshot. The streams watching the same Service port (or the Services list) share one
 * feed (feeds.ts), which works out and encodes each change once for all of them; the messages go out
 * as bytes, so the service must be registered with `acceptingEncoded` (server.ts does).
 */
export function destinationService(options: DestinationServiceOptions): DestinationHandlers {
  const feeds = new Map<string, AuthorityFeed>();
  let services: ServicesFeed | undefined;

  /** attach a stream to its feed until the client goes away or the stream is closed */
  const follow = <Req, Res>(
    call: ServerWritableStream<Req, Res>,
    what: string,
    rpc: string,
    join: (queue: StreamQueue<Buffer>) => () => void,
  ): void => {
    let leave = () => undefined as unknown;
    const queue = new StreamQueue<Buffer>(
      call as unknown as ServerWritableStream<Req, Buffer>,
      options.queueCapacity,
      () => {
        leave();
        options.onOverflow?.(rpc, what);
      },
    );
    const stop = () => {
      leave();
      queue.close();
    };
    call.on('cancelled', stop);
    call.on('close', stop);
    call.on('error', stop);
    leave = join(queue);
  };

  return {
    Get(call: ServerWritableStream<GetDestination__Output, Update>) {
      const authority = parseAuthority(call.request.path);
      if (authority === undefined) {
        call.emit('error', {
          code: status.INVALID_ARGUMENT,
          details: `path: expected a Service authority like web.test.svc.cluster.local:80, got ${JSON.stringify(call.request.path)}`,
        });
        return;
      }
      const key = formatAuthority(authority);
      follow(call, call.request.path, 'Destination.Get', (queue) => {
        let feed = feeds.get(key);
        if (feed === undefined) {
          const created = new AuthorityFeed(authority, options.configSource, () => {
            if (feeds.get(key) === created) feeds.delete(key);
          });
          feeds.set(key, (feed = created));
        }
        return feed.join(queue);
      });
    },

    WatchServices(call: ServerWritableStream<WatchServicesRequest__Output, ServiceList>) {
      follow(call, 'services', 'Destination.WatchServices', (queue) => {
        services ??= new ServicesFeed(options.configSource, () => (services = undefined));
        return services.join(queue);
      });
    },
  };
}
