import type express from 'express';
import { kinds, type KindInfo } from '../../engine/resources/index.js';

/** The Kubernetes version the API claims: the one whose conventions it follows. */
export const SERVED_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-weir' };

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const CATEGORY_ALL = new Set(['Canary', 'Deployment', 'Service', 'Pod']);

export function servedKinds(): KindInfo[] {
  return Object.values(kinds);
}

export function groupVersionOf(info: KindInfo): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}

function singular(info: KindInfo): string {
  return info.kind.toLowerCase();
}

/** `metav1.APIResourceList` of one group/version, with the status and scale subresources. */
export function resourceList(group: string, version: string): Record<string, unknown> | undefined {
  const served = servedKinds().filter((k) => k.group === group && k.version === version);
  if (served.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const k of served.sort((a, b) => a.plural.localeCompare(b.plural))) {
    resources.push({
      name: k.plural,
      singularName: singular(k),
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: VERBS,
      ...(k.shortNames?.length ? { shortNames: k.shortNames } : {}),
      ...(CATEGORY_ALL.has(k.kind) ? { categories: ['all'] } : {}),
    });
    resources.push({
      name: `${k.plural}/status`,
      singularName: '',
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: ['get', 'patch', 'update'],
    });
    if (k.scale)
      resources.push({
        name: `${k.plural}/scale`,
        singularName: '',
        namespaced: k.namespaced,
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
        verbs: ['get', 'patch', 'update'],
      });
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources,
  };
}

function apiGroup(group: string): Record<string, unknown> {
  const versions = [
    ...new Set(
      servedKinds()
        .filter((k) => k.group === group)
        .map((k) => k.version),
    ),
  ]
    .sort()
    .map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions, preferredVersion: versions[0] };
}

export function groupNames(): string[] {
  return [...new Set(servedKinds().map((k) => k.group))].filter((g) => g !== '').sort();
}

/** `/version`, `/api`, `/api/v1`, `/apis`, `/apis/GROUP`, `/apis/GROUP/VERSION`: what kubectl discovers first. */
export function mountDiscovery(app: express.Express): void {
  app.get('/version', (_req, res) => {
    res.json({
      ...SERVED_VERSION,
      gitCommit: '',
      gitTreeState: 'clean',
      buildDate: '1970-01-01T00:00:00Z',
      goVersion: 'weir',
      compiler: 'weir',
      platform: `${process.platform}/${process.arch}`,
    });
  });
  app.get('/api', (_req, res) => {
    res.json({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
  });
  app.get('/api/v1', (_req, res) => {
    res.json(resourceList('', 'v1'));
  });
  app.get('/apis', (_req, res) => {
    res.json({ kind: 'APIGroupList', apiVersion: 'v1', groups: groupNames().map(apiGroup) });
  });
  app.get('/apis/:group', (req, res, next) => {
    if (!groupNames().includes(req.params.group)) return next();
    res.json(apiGroup(req.params.group));
  });
  app.get('/apis/:group/:version', (req, res, next) => {
    const list = resourceList(req.params.group, req.params.version);
    if (!list) return next();
    res.json(list);
  });
}
