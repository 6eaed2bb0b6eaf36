import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../controlplane/grpc/server.js';
import { Client, freePort, ManualConfigSource, startEcho, type Echo } from '../proxy/support/harness.js';
import { steadyLoad } from '../support/steady-load.js';
import { weightedWebMesh } from './support/weighted-web-mesh.js';
import { startWeirProxy, type WeirProxy } from '../support/weir-proxy-process.js';

describe('the control plane restarted under load', () => {
  let v1: Echo;
  let v2: Echo;
  let cp: ControlPlane | undefined;
  const proxies: WeirProxy[] = [];
  const http = new Client();

  beforeAll(async () => {
    [v1, v2] = [await startEcho('v1'), await startEcho('v2')];
  });
  afterAll(async () => {
    for (const p of proxies.splice(0)) await p.stop();
    await cp?.close();
    http.agent.destroy();
    await v1?.close();
    await v2?.close();
  }, 60_000);

  it('costs no request, and every proxy resyncs: a route change made while it was down is obeyed', async () => {
    const port = await freePort();
    const source = new ManualConfigSource(weightedWebMesh(port, v1, v2, [100, 0]));
    cp = await startControlPlane({ configSource: source });
    const address = cp.address;
    const cpPort = cp.port;
    // two sidecar processes, each listening for test/web on a port of its own (as weir up's sidecars do)
    for (const pod of ['client-1', 'client-2'])
      proxies.push(
        await startWeirProxy(
          ['--control-plane', address, '--namespace', 'test', '--pod', pod, '--outbound-proxy-port', '0'],
          40_000,
        ),
      );
    const listeners = proxies.map((p) => Number(p.outbound.get(`test/web:${port}`)?.split(':')[1]));
    expect(listeners.every((l) => l > 0)).toBe(true);

    const servedBy = new Map<string, number>();
    let turn = 0;
    const load = steadyLoad(async () => {
      const r = await http.send(listeners[turn++ % listeners.length]!, '/', { timeoutMs: 10_000 });
      const by = String(r.headers['x-served-by']);
      servedBy.set(by, (servedBy.get(by) ?? 0) + 1);
      return r.status === 200 ? undefined : `status ${r.status}: ${r.body.slice(0, 200)}`;
    });
    try {
      const until = async (what: string, ms: number, ok: () => boolean): Promise<void> => {
        const deadline = Date.now() + ms;
        while (!ok()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(load.tally())}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await until('requests before the restart', 20_000, () => load.tally().ok >= 50);

      // the control plane goes away: every proxy says so and keeps serving with what it had
      await cp.close();
      cp = undefined;
      for (const p of proxies)
        await p.waitFor('stderr', new RegExp(`^weir proxy: control plane ${address} unreachable`, 'm'), 20_000);
      source.set(weightedWebMesh(port, v1, v2, [0, 100]));
      const whileDown = load.tally().ok;
      await until('requests while the control plane is down', 20_000, () => load.tally().ok >= whileDown + 50);
      expect(servedBy.get('v2') ?? 0).toBe(0);

      // back on the same address: each proxy reconnects and applies the whole configuration again
      cp = await startControlPlane({ configSource: source, port: cpPort });
      for (const p of proxies)
        await p.waitFor('stdout', new RegExp(`^weir proxy: config from control plane ${address} applied`, 'm'), 30_000);
      // the routes stream may come back a little after the first one: within bounds, v2 serves every proxy
      // (the load goes on meanwhile)
      for (const l of listeners) {
        const deadline = Date.now() + 30_000;
        while ((await http.send(l, '/', { timeoutMs: 10_000 })).headers['x-served-by'] !== 'v2') {
          if (Date.now() > deadline) throw new Error(`the proxy listening on ${l} still routes to v1`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const afterResync = load.tally().ok;
      await until('requests after the resync', 20_000, () => load.tally().ok >= afterResync + 50);
    } finally {
      const tally = await load.stop();
      expect(tally.failures).toEqual([]);
      expect(tally.failed).toBe(0);
      expect(tally.ok).toBeGreaterThan(150);
    }
    expect(servedBy.get('v2') ?? 0).toBeGreaterThan(0);
  }, 180_000);
});
