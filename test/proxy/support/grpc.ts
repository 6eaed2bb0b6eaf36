import * as grpc from '@grpc/grpc-js';

/**
 * A tiny gRPC service without a proto compiler: JSON messages through grpc-js's generic client and
 * server. Methods: `test.Echo/Echo` (unary), `test.Echo/Watch` (server streaming: `count` replies),
 * `test.Echo/Chat` (bidirectional: one reply per message), `test.Admin/Ping` (unary).
 * Every reply says which app served it; `{fail: code}` makes a unary call fail with that status.
 */
export interface Msg {
  text?: string;
  count?: number;
  fail?: number;
  app?: string;
  metadata?: Record<string, unknown>;
}

const serialize = (v: Msg): Buffer => Buffer.from(JSON.stringify(v));
const deserialize = (b: Buffer): Msg => JSON.parse(b.toString()) as Msg;

function method(path: string, requestStream: boolean, responseStream: boolean) {
  return {
    path,
    requestStream,
    responseStream,
    requestSerialize: serialize,
    requestDeserialize: deserialize,
    responseSerialize: serialize,
    responseDeserialize: deserialize,
  };
}

export const definition = {
  Echo: method('/test.Echo/Echo', false, false),
  Watch: method('/test.Echo/Watch', false, true),
  Chat: method('/test.Echo/Chat', true, true),
  Ping: method('/test.Admin/Ping', false, false),
} as const;

type Unary = (
  req: Msg,
  md: grpc.Metadata,
  options: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: Msg) => void,
) => grpc.ClientUnaryCall;

export interface TestClient extends grpc.Client {
  Echo: Unary;
  Ping: Unary;
  Watch(req: Msg, md: grpc.Metadata, options: grpc.CallOptions): grpc.ClientReadableStream<Msg>;
  Chat(md: grpc.Metadata, options: grpc.CallOptions): grpc.ClientDuplexStream<Msg, Msg>;
}

const ClientCtor = grpc.makeGenericClientConstructor(definition as unknown as grpc.ServiceDefinition, 'Echo');

export function grpcClient(port: number): TestClient {
  return new ClientCtor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as TestClient;
}

export interface GrpcApp {
  name: string;
  port: number;
  /** calls served, by method path */
  calls: string[];
  /** calls the app saw cancelled */
  cancelled: number;
  close(): Promise<void>;
}

function reply(name: string, req: Msg, md: grpc.Metadata): Msg {
  return { app: name, text: req.text, metadata: md.getMap() };
}

export async function startGrpcApp(name: string): Promise<GrpcApp> {
  const server = new grpc.Server();
  const calls: string[] = [];
  const unary = (path: string) => (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
    calls.push(path);
    if (call.request.fail !== undefined) {
      cb({ code: call.request.fail, details: `asked to fail with ${call.request.fail}` });
      return;
    }
    const trailer = new grpc.Metadata();
    trailer.set('x-app-trailer', name);
    const initial = new grpc.Metadata();
    initial.set('x-served-by', name);
    call.sendMetadata(initial);
    cb(null, reply(name, call.request, call.metadata), trailer);
  };
  server.addService(definition as unknown as grpc.ServiceDefinition, {
    Echo: unary('/test.Echo/Echo'),
    Ping: unary('/test.Admin/Ping'),
    Watch: (call: grpc.ServerWritableStream<Msg, Msg>) => {
      calls.push('/test.Echo/Watch');
      const n = call.request.count ?? 3;
      let i = 0;
      const tick = () => {
        if (i === n) {
          call.end();
          return;
        }
        call.write({ app: name, text: `${call.request.text ?? ''}#${i++}` });
        setTimeout(tick, 5);
      };
      tick();
    },
    Chat: (call: grpc.ServerDuplexStream<Msg, Msg>) => {
      calls.push('/test.Echo/Chat');
      call.on('data', (m: Msg) => call.write({ app: name, text: `re: ${m.text ?? ''}` }));
      call.on('end', () => call.end());
      call.on('cancelled', () => app.cancelled++);
    },
  });
  const app: GrpcApp = {
    name,
    port: 0,
    calls,
    cancelled: 0,
    close: async () => {
      server.forceShutdown();
    },
  };
  app.port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return app;
}

/** a unary call as a promise: the reply, or the error; with the trailing metadata */
export function unary(
  client: TestClient,
  name: 'Echo' | 'Ping',
  req: Msg,
  timeoutMs = 5_000,
): Promise<{ reply?: Msg; error?: grpc.ServiceError; trailers?: grpc.Metadata; headers?: grpc.Metadata }> {
  return new Promise((resolve) => {
    let trailers: grpc.Metadata | undefined;
    let headers: grpc.Metadata | undefined;
    let result: { reply?: Msg; error?: grpc.ServiceError } | undefined;
    let statusSeen = false;
    const done = () => {
      if (result !== undefined && statusSeen) resolve({ ...result, trailers, headers });
    };
    const call = client[name](req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
      result = err ? { error: err } : { reply: res as Msg };
      done();
    });
    call.on('metadata', (md: grpc.Metadata) => (headers = md));
    call.on('status', (s: grpc.StatusObject) => {
      trailers = s.metadata;
      statusSeen = true;
      done();
    });
  });
}
