import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { projectRoot } from '../project-root.js';
import { podPort } from '../../controlplane/runtime/net.js';

export interface DemoFolder {
  dir: string;
  servicePort: number;
  namespace: string;
  name: string;
  /** the Deployment as written, to derive v2 and v3 from */
  deployment: Record<string, unknown>;
}

type Doc = { kind?: string; metadata?: { name?: string; namespace?: string }; spec?: Record<string, unknown> };

/**
 * Copy `samples/demo` into a temporary folder, moving the Service to a free port (the stand-in for a
 * cluster IP must not collide with anything on this machine) and pointing the Deployment at the
 * compiled sample app by absolute path.
 */
export async function prepareDemoFolder(): Promise<DemoFolder> {
  const root = projectRoot();
  const src = join(root, 'samples', 'demo');
  const app = join(root, 'dist', 'samples', 'app', 'server.js');
  const dir = await mkdtemp(join(tmpdir(), 'weir-demo-'));
  // bound by `weir up` later: outside the ephemeral range, as pods' ports are (runtime/net.ts `podPort`)
  const servicePort = await podPort();
  let deployment: Record<string, unknown> | undefined;
  let namespace = 'test';
  let name = 'podinfo';
  for (const file of (await readdir(src)).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const docs = parseAllDocuments(await readFile(join(src, file), 'utf8'));
    const out: unknown[] = [];
    for (const d of Array.isArray(docs) ? docs : [docs]) {
      const obj = d.toJS() as Doc | null;
      if (!obj) continue;
      if (obj.kind === 'Service') {
        const ports = (obj.spec?.ports ?? []) as Array<{ port: number }>;
        if (ports[0]) ports[0].port = servicePort;
      } else if (obj.kind === 'Canary') {
        const service = obj.spec?.service as { port: number; gatewayRefs?: Array<{ port?: number }> };
        service.port = servicePort;
        for (const ref of service.gatewayRefs ?? []) ref.port = servicePort;
        namespace = obj.metadata?.namespace ?? 'default';
        name = obj.metadata?.name ?? name;
      } else if (obj.kind === 'Deployment') {
        const containers = (obj.spec?.template as { spec: { containers: Array<{ args?: string[] }> } }).spec.containers;
        for (const c of containers) c.args = (c.args ?? []).map((a) => (a.endsWith('server.js') ? app : a));
        deployment = obj as Record<string, unknown>;
      }
      out.push(obj);
    }
    await writeFile(join(dir, file), out.map((o) => stringify(o)).join('---\n'));
  }
  if (!deployment) throw new Error(`no Deployment in ${src}`);
  return { dir, servicePort, namespace, name, deployment };
}

/** The same Deployment with other env values: a new revision of the pod template. */
export function withEnv(deployment: Record<string, unknown>, env: Record<string, string>): Record<string, unknown> {
  const d = structuredClone(deployment) as {
    spec: { template: { spec: { containers: Array<{ env?: Array<{ name: string; value?: string }> }> } } };
  };
  const c = d.spec.template.spec.containers[0]!;
  const list = (c.env ?? []).filter((e) => !(e.name in env));
  for (const [k, v] of Object.entries(env)) list.push({ name: k, value: v });
  c.env = list;
  return d as unknown as Record<string, unknown>;
}
