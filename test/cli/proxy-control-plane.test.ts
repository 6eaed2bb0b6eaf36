import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../controlplane/grpc/server.js';
import { Client, freePort, ManualConfigSource, startEcho, type Echo } from '../proxy/support/harness.js';
import { runWeir } from '../support/weir-process.js';
import { weightedWebMesh } from './support/weighted-web-mesh.js';
import { startWeirProxy, type WeirProxy } from '../support/weir-proxy-process.js';

describe('weir proxy --control-plane', () => {
  let v1: Echo;
  let v2: Echo;
  let cp: ControlPlane | undefined;
  const running: WeirProxy[] = [];
  const http = new Client();

  beforeAll(async () => {
    [v1, v2] = [await startEcho('v1'), await startEcho('v2')];
  });
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
    await cp?.close();
  });
  afterAll(async () => {
    http.agent.destroy();
    await v1.close();
    await v2.close();
  });

  it('routes by the configuration the control plane serves, and follows its changes', async () => {
    const port = await freePort();
    const source = new ManualConfigSource(weightedWebMesh(port, v1, v2, [100, 0]));
    cp = await startControlPlane({ configSource: source });
    const p = await startWeirProxy(['--control-plane', cp.address, '--namespace', 'test', '--pod', 'client-1']);
    running.push(p);

    expect(p.stdout()).toMatch(new RegExp(`^weir proxy: ready \\(control plane ${cp.address}, version \\d+\\)$`, 'm'));
    expect(p.outbound.get(`test/web:${port}`)).toBe(`127.0.0.1:${port}`);
    const r = await http.send(port, '/hello');
    expect(r.status).toBe(200);
    expect(r.headers['x-served-by']).toBe('v1');

    source.set(weightedWebMesh(port, v1, v2, [0, 100]));
    await p.waitFor(
      'stdout',
      new RegExp(`^weir proxy: config from control plane ${cp.address} applied \\(version \\d+\\)$`, 'm'),
    );
    for (let i = 0; i < 5; i++) expect((await http.send(port, '/')).headers['x-served-by']).toBe('v2');
    const admin = await fetch(`http://127.0.0.1:${p.adminPort}/config`, { signal: AbortSignal.timeout(5_000) });
    const config = (await admin.json()) as { controlPlane?: string };
    expect(config.controlPlane).toBe(cp.address);
  });

  it('keeps serving while the control plane is down, says so on stderr, and resyncs when it is back', async () => {
    const port = await freePort();
    const source = new ManualConfigSource(weightedWebMesh(port, v1, v2, [100, 0]));
    cp = await startControlPlane({ configSource: source });
    const cpPort = cp.port;
    const p = await startWeirProxy(['--control-plane', cp.address]);
    running.push(p);

    await cp.close();
    await p.waitFor(
      'stderr',
      new RegExp(
        `^weir proxy: control plane 127\\.0\\.0\\.1:${cpPort} unreachable \\(\\d+: .*\\), keeping version \\d+, retrying in \\d+ ms$`,
        'm',
      ),
    );
    source.set(weightedWebMesh(port, v1, v2, [0, 100]));
    for (let i = 0; i < 5; i++) expect((await http.send(port, '/')).headers['x-served-by']).toBe('v1');

    cp = await startControlPlane({ configSource: source, port: cpPort });
    await p.waitFor('stdout', /^weir proxy: config from control plane \S+ applied/m, 15_000);
    // the streams come back one by one (each with its own backoff): within bounds, the change is in force
    const deadline = Date.now() + 15_000;
    let servedBy = (await http.send(port, '/')).headers['x-served-by'];
    while (servedBy !== 'v2' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      servedBy = (await http.send(port, '/')).headers['x-served-by'];
    }
    expect(servedBy).toBe('v2');
  });

  it('exits 2 unless exactly one of --config and --control-plane is given, well formed', async () => {
    const neither = await runWeir(['proxy']);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('exactly one of --config FILE and --control-plane HOST:PORT is required');
    const both = await runWeir(['proxy', '--config', 'mesh.yaml', '--control-plane', '127.0.0.1:8086']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('exactly one of --config FILE and --control-plane HOST:PORT is required');
    const bad = await runWeir(['proxy', '--control-plane', 'grpc://127.0.0.1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      '--control-plane: expected HOST:PORT (for example 127.0.0.1:8086), got "grpc://127.0.0.1"',
    );
    expect(bad.stdout).toBe('');
  });
});
