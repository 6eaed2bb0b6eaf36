/**
 * One meshed hop for bench/mtls.sh: an outbound proxy (Service `bench`) whose endpoint is an inbound
 * proxy in front of the app on APP_PORT, in this one process. MODE=mtls gives both proxies certificates
 * of one test PKI and announces the endpoint's identity (mutual TLS between them); MODE=plain runs the
 * same pair without identity. Prints `ready <outbound port>`, then runs until killed.
 */
import { startInboundProxy, startOutboundProxy } from '../proxy/index.js';
import { meshIdentity, MeshPki, TestIdentity } from '../test/support/mesh-pki.js';

const mode = process.env.MODE ?? 'plain';
const appPort = Number(process.env.APP_PORT);
const port = Number(process.env.PORT);
if (!Number.isInteger(appPort) || !Number.isInteger(port) || (mode !== 'plain' && mode !== 'mtls')) {
  console.error('usage: MODE=plain|mtls APP_PORT=N PORT=N tsx bench/mtls-pair.ts');
  process.exit(2);
}
const WEB = meshIdentity('web', 'bench');
const pki = mode === 'mtls' ? await MeshPki.create() : undefined;
const inbound = await startInboundProxy({
  appPort,
  namespace: 'bench',
  deployment: 'web',
  ...(pki !== undefined ? { identity: new TestIdentity(await pki.leaf(WEB)) } : {}),
});
const outbound = await startOutboundProxy({
  configSource: {
    current: () => ({
      version: 1,
      services: [
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'bench', namespace: 'bench' },
          spec: { ports: [{ name: 'http', port, protocol: 'TCP' }] },
        } as never,
      ],
      httpRoutes: [],
      endpoints: [
        {
          namespace: 'bench',
          service: 'bench',
          port,
          portName: 'http',
          endpoints: [
            {
              address: '127.0.0.1',
              port: inbound.port,
              ready: true,
              deployment: 'web',
              ...(pki !== undefined ? { identity: WEB } : {}),
            },
          ],
        },
      ],
    }),
    subscribe: () => () => undefined,
  },
  namespace: 'bench',
  deployment: 'client',
  ...(pki !== undefined ? { identity: new TestIdentity(await pki.leaf(meshIdentity('client', 'bench'))) } : {}),
});
console.log(`ready ${port} (inbound ${inbound.port})`);
const stop = () =>
  void Promise.all([outbound.close({ drainMs: 0 }), inbound.close({ drainMs: 0 })]).then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
