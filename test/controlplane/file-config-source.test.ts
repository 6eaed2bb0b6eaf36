import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { FileConfigSource, MeshFileError, parseMeshFile, type FileReload } from '../../controlplane/discovery/index.js';
import type { MeshSnapshot } from '../../engine/mesh/snapshot.js';
import type { HTTPRoute } from '../../engine/resources/index.js';
import { meshYaml } from '../support/proxy-mesh.js';

const ports = { port: 9898, v1: 8081, v2: 8082 };

function weights(s: MeshSnapshot): Array<number | undefined> {
  const route = s.httpRoutes.find((r: HTTPRoute) => r.metadata.name === 'web');
  return (route?.spec.rules?.[0]?.backendRefs ?? []).map((b) => b.weight);
}

async function openError(file: string): Promise<MeshFileError> {
  try {
    const s = await FileConfigSource.open(file, { watch: false });
    s.close();
  } catch (err) {
    if (err instanceof MeshFileError) return err;
    throw err;
  }
  throw new Error('the file was accepted');
}

describe('mesh file for weir proxy', () => {
  let dir: string;
  let file: string;
  const sources: FileConfigSource[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-mesh-file-'));
    file = join(dir, 'mesh.yaml');
  });
  afterEach(async () => {
    for (const s of sources.splice(0)) s.close();
    await rm(dir, { recursive: true, force: true });
  });
  const open = async (options: Parameters<typeof FileConfigSource.open>[1] = { watch: false }) => {
    const s = await FileConfigSource.open(file, options);
    sources.push(s);
    return s;
  };

  it('gives Services, routes and the EndpointSlices’ addresses as a snapshot', async () => {
    await writeFile(file, meshYaml(ports));
    const s = (await open()).current();
    expect(s.services.map((x) => x.metadata.name).sort()).toEqual(['web', 'web-v1', 'web-v2']);
    expect(weights(s)).toEqual([90, 10]);
    const v1 = s.endpoints.find((e) => e.service === 'web-v1');
    expect(v1?.endpoints).toEqual([{ address: '127.0.0.1', port: 8081, ready: true }]);
    // Services sharing a port get loopback cluster IPs, as with `weir up`
    expect(s.services.filter((x) => x.spec.clusterIP?.startsWith('127.0.1.')).length).toBe(2);
  });

  it('refuses a bad field, naming the file, the document and the field path', async () => {
    await writeFile(file, meshYaml({ ...ports, weights: ['ten', 10] }));
    const err = await openError(file);
    expect(err.errors).toEqual([`${file}[6] spec.rules[0].backendRefs[0].weight: expected a number, got "ten"`]);
  });

  it('refuses YAML that does not parse, naming the document', async () => {
    await writeFile(file, `${meshYaml(ports)}---\nkind: Service\nmetadata: { name: [\n`);
    const err = await openError(file);
    expect(err.errors[0]).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}\\[7\\]: YAML: `));
  });

  it('refuses an unknown kind, saying which kinds it reads', async () => {
    await writeFile(file, 'apiVersion: v1\nkind: Sevrice\nmetadata: { name: web }\n');
    const err = await openError(file);
    expect(err.errors[0]).toMatch(/mesh\.yaml\[1\] kind: unknown kind "Sevrice": Weir reads .*Service/);
  });

  it('refuses the same object twice', async () => {
    await writeFile(
      file,
      `${meshYaml(ports)}---\napiVersion: v1\nkind: Service\nmetadata: { name: web, namespace: test }\nspec: { ports: [{ port: 1 }] }\n`,
    );
    const err = await openError(file);
    expect(err.errors).toEqual([`${file}: Service test/web appears more than once`]);
  });

  it('refuses a file it cannot read', async () => {
    const err = await openError(join(dir, 'missing.yaml'));
    expect(err.errors).toEqual([`${join(dir, 'missing.yaml')}: cannot read: ENOENT`]);
  });

  it('reads a JSON List, as kubectl get -o json prints it, and names a bad item by its index', () => {
    const items = parseAllDocuments(meshYaml(ports)).map((d) => d.toJS() as Record<string, unknown>);
    const list = { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items };
    const good = parseMeshFile(JSON.stringify(list, null, 2), 'mesh.json');
    expect(good.ok && good.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Service/web',
      'Service/web-v1',
      'Service/web-v2',
      'EndpointSlice/web-v1-1',
      'EndpointSlice/web-v2-1',
      'HTTPRoute/web',
    ]);

    (items[1] as { spec: { ports: Array<{ port: unknown }> } }).spec.ports[0]!.port = 'http';
    const bad = parseMeshFile(JSON.stringify(list), 'mesh.json');
    expect(!bad.ok && bad.errors).toEqual(['mesh.json[1] items[1].spec.ports[0].port: expected a number, got "http"']);
  });

  it('leaves out kinds a proxy does not route with, with a warning', () => {
    const r = parseMeshFile(
      `${meshYaml(ports)}---\napiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata: { name: m, namespace: test }\nspec: { provider: { type: prometheus, address: "http://127.0.0.1:9090" }, query: "1" }\n`,
      'mesh.yaml',
    );
    expect(r.ok).toBe(true);
    expect(r.ok && r.objects.length).toBe(6);
    expect(r.warnings).toEqual([
      'mesh.yaml: MetricTemplate test/m left out: weir proxy routes with Service, HTTPRoute, GRPCRoute, Pod, EndpointSlice',
    ]);
  });

  it('applies a changed file whole: new weights, and objects no longer in it are gone', async () => {
    await writeFile(
      file,
      meshYaml({
        ...ports,
        extra:
          'apiVersion: v1\nkind: Service\nmetadata: { name: extra, namespace: test }\nspec: { ports: [{ port: 7000 }] }\n',
      }),
    );
    const reloads: FileReload[] = [];
    const source = await open({ watch: false, onReload: (r) => reloads.push(r) });
    const heard: MeshSnapshot[] = [];
    source.subscribe((s) => heard.push(s));
    const before = source.current().version;

    await writeFile(file, meshYaml({ ...ports, weights: [0, 100] }));
    const r = await source.reload();

    expect(r).toMatchObject({ ok: true, objects: 6 });
    expect(reloads).toEqual([r]);
    expect(heard.map(weights)).toEqual([[0, 100]]);
    expect(source.current().version).toBeGreaterThan(before);
    expect(source.current().services.map((x) => x.metadata.name)).not.toContain('extra');
  });

  it('keeps the snapshot in force when a change is refused, and reports that text once', async () => {
    await writeFile(file, meshYaml(ports));
    const reloads: FileReload[] = [];
    const source = await open({ watch: false, onReload: (r) => reloads.push(r) });
    const heard: MeshSnapshot[] = [];
    source.subscribe((s) => heard.push(s));
    const inForce = source.current();

    await writeFile(file, meshYaml({ ...ports, weights: [0, 'all'] }));
    const r = await source.reload();
    await source.reload();

    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual([`${file}[6] spec.rules[0].backendRefs[1].weight: expected a number, got "all"`]);
    expect(r.version).toBe(inForce.version);
    expect(reloads).toHaveLength(1);
    expect(heard).toEqual([]);
    expect(source.current()).toBe(inForce);
  });

  it('follows the file: an edit renamed over it is applied without being asked', async () => {
    await writeFile(file, meshYaml(ports));
    let applied: (r: FileReload) => void = () => undefined;
    const reloaded = new Promise<FileReload>((resolve) => (applied = resolve));
    const source = await open({ debounceMs: 10, pollMs: 100, onReload: (r) => applied(r) });

    await writeFile(join(dir, '.mesh.yaml.tmp'), meshYaml({ ...ports, weights: [50, 50] }));
    await rename(join(dir, '.mesh.yaml.tmp'), file);

    const r = await Promise.race([
      reloaded,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no reload within 5 s')), 5_000)),
    ]);
    expect(r.ok).toBe(true);
    expect(weights(source.current())).toEqual([50, 50]);
  });
});
