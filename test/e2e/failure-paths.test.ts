import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/weir-process.js';
import {
  canaryManifests,
  canaryStatus,
  kubeEvents,
  startWeirUpGroup,
  waitFor,
  type GroupProcess,
} from './canary-fixtures.js';

/** a Slack-shaped alert receiver: the texts it was sent */
async function alertReceiver(): Promise<{ server: Server; url: string; texts: string[] }> {
  const texts: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const p = JSON.parse(body) as { attachments?: Array<{ text?: string }> };
      texts.push(p.attachments?.[0]?.text ?? '');
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, texts };
}

describe('a canary pod that cannot start', () => {
  let dir: string | undefined;
  let up: GroupProcess | undefined;
  let rx: Awaited<ReturnType<typeof alertReceiver>> | undefined;

  afterAll(async () => {
    await up?.stop();
    if (rx) await new Promise<void>((r) => rx!.server.close(() => r()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('CrashLoopBackOff with its last exit message: condition, event and alert; then the progress deadline rolls back', async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-crash-'));
    rx = await alertReceiver();
    const port = await freePort();
    const manifests = canaryManifests({
      port,
      analysis: {
        stepWeight: 50,
        maxWeight: 50,
        alerts: [{ name: 'oncall', severity: 'error', providerRef: { name: 'chat' } }],
      },
    }).replace(/(kind: Canary[\s\S]*?)progressDeadlineSeconds: 60/, '$1progressDeadlineSeconds: 8');
    await writeFile(
      join(dir, 'app.yaml'),
      `${manifests}---
apiVersion: flagger.app/v1beta1
kind: AlertProvider
metadata: { name: chat, namespace: test }
spec: { type: slack, address: "${rx.url}" }
`,
    );
    up = await startWeirUpGroup([dir, '--state-dir', join(dir, 'state')]);
    const api = up.api;
    await waitFor('Initialized', 30_000, async () =>
      (await canaryStatus(api)).phase === 'Initialized' ? true : undefined,
    );

    // v2 exits at once with a message on stderr
    const url = `${api}/apis/apps/v1/namespaces/test/deployments/podinfo`;
    const d = (await (await fetch(url)).json()) as {
      status?: unknown;
      spec: { template: { spec: { containers: Array<{ args?: string[] }> } } };
    };
    delete d.status;
    d.spec.template.spec.containers[0]!.args = ['-e', "console.error('config missing: DB_URL'); process.exit(3)"];
    const put = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(d),
    });
    expect(put.status).toBe(200);

    const held = await waitFor('the Analysis condition naming the crash', 30_000, async () => {
      const c = (await canaryStatus(api)).conditions?.find((x) => x.type === 'Analysis');
      return c?.reason === 'CrashLoopBackOff' && c.message?.includes('config missing: DB_URL') ? c : undefined;
    });
    expect(held.message).toMatch(
      /^pod podinfo-\S+ CrashLoopBackOff: (back-off \d+ ms restarting: exited with code 3|restarted \d+ times)/,
    );
    expect(held.message).toContain('last exit code 3 (Error): config missing: DB_URL');

    const failed = await waitFor('Failed at the progress deadline', 30_000, async () => {
      const s = await canaryStatus(api);
      return s.phase === 'Failed' ? s : undefined;
    });
    expect(failed.conditions?.find((x) => x.type === 'Analysis')).toMatchObject({
      reason: 'ProgressDeadlineExceeded',
      message: expect.stringContaining('CrashLoopBackOff') as unknown,
    });
    const events = await kubeEvents(api);
    expect(events.some((e) => e.includes('CrashLoopBackOff') && e.includes('config missing: DB_URL'))).toBe(true);
    expect(events.some((e) => e.startsWith('Rolling back podinfo.test progress deadline exceeded'))).toBe(true);
    await waitFor('the alerts', 10_000, async () =>
      rx!.texts.some((t) => t.startsWith('Progress deadline exceeded')) ? true : undefined,
    );
    expect(rx.texts.filter((t) => t.startsWith('Canary pod podinfo-'))).toHaveLength(1);
    expect(rx.texts.find((t) => t.startsWith('Canary pod podinfo-'))).toMatch(/cannot start: CrashLoopBackOff: /);
  }, 120_000);
});
