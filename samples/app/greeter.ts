// A small gRPC service beside the HTTP sample app, for gRPC canaries in demos and tests.
//
//   weir.sample.Greeter/Hello   -> {"version", "hostname", "message"} (every answer carries x-version metadata)
//
// Messages are JSON (gRPC frames whatever bytes a service defines; this keeps the sample free of .proto files).
// Environment: PORT (default 9999), HOST (default 127.0.0.1), VERSION (default 1.0.0), ERROR_RATE (0..1: that
// fraction of calls ends with UNAVAILABLE). SIGTERM/SIGINT: finish in-flight calls, exit 0.
import { hostname as osHostname } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { onStopSignal, runIfEntryPoint } from './entry-point.js';

export interface HelloReply {
  version: string;
  hostname: string;
  message: string;
}

const json = {
  serialize: (value: unknown): Buffer => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer): unknown => (bytes.length === 0 ? {} : JSON.parse(bytes.toString('utf8'))),
};

/** the Greeter's service definition, for servers and for `grpc.makeGenericClientConstructor` */
export const greeterService = {
  hello: {
    path: '/weir.sample.Greeter/Hello',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
} satisfies grpc.ServiceDefinition;

export interface GreeterConfig {
  version: string;
  errorRate: number;
  hostname: string;
  random?: () => number;
}

export function greeterConfigFromEnv(env: NodeJS.ProcessEnv = process.env): GreeterConfig {
  const rate = Number(env.ERROR_RATE ?? 0);
  return {
    version: env.VERSION || '1.0.0',
    errorRate: Number.isFinite(rate) ? Math.min(1, Math.max(0, rate)) : 0,
    hostname: env.HOSTNAME || osHostname(),
  };
}

/** a gRPC server with the Greeter, not yet bound */
export function createGreeter(config: GreeterConfig): grpc.Server {
  const server = new grpc.Server();
  const random = config.random ?? Math.random;
  server.addService(greeterService, {
    hello: (call: grpc.ServerUnaryCall<unknown, HelloReply>, done: grpc.sendUnaryData<HelloReply>) => {
      const md = new grpc.Metadata();
      md.set('x-version', config.version);
      call.sendMetadata(md);
      if (config.errorRate > 0 && random() < config.errorRate) {
        done({ code: grpc.status.UNAVAILABLE, details: 'injected fault (ERROR_RATE)' });
        return;
      }
      done(null, {
        version: config.version,
        hostname: config.hostname,
        message: `greetings from greeter v${config.version}`,
      });
    },
  });
  return server;
}

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<grpc.Server> {
  const config = greeterConfigFromEnv(env);
  const server = createGreeter(config);
  const host = env.HOST || '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${Number(env.PORT || 9999)}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  console.log(JSON.stringify({ msg: 'listening', host, port, version: config.version, protocol: 'grpc' }));
  onStopSignal(() => server.tryShutdown(() => process.exit(0)));
  return server;
}

runIfEntryPoint(import.meta.url, main);
