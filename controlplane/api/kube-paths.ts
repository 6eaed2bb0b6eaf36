import { kindByPlural, kinds, type KindInfo } from '../../engine/resources/index.js';

/** A request path of the Kubernetes REST API, resolved to a kind, namespace and optional name. */
export interface KubePath {
  info: KindInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/**
 * `/api/v1/namespaces/NS/services/NAME`, `/apis/GROUP/VERSION/namespaces/NS/PLURAL[/NAME[/status]]`,
 * and the all-namespaces lists `/api/v1/PLURAL`, `/apis/GROUP/VERSION/PLURAL`.
 */
export function parseKubePath(path: string): KubePath | undefined {
  const parts = path
    .split('?')[0]!
    .split('/')
    .filter((p) => p !== '');
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1]!;
    rest = parts.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource] = rest;
  if (plural === undefined || rest.length > 3) return undefined;
  const info = kindByPlural(group, plural);
  if (!info) return undefined;
  return { info, namespace, name, subresource };
}

export function kubePathOf(info: KindInfo, namespace?: string, name?: string): string {
  const base = info.group === '' ? '/api/v1' : `/apis/${info.group}/${info.version}`;
  const ns = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  const n = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  return `${base}${ns}/${info.plural}${n}`;
}

/** `canary`, `canaries`, `Canary`, `svc`, `deploy`... as kubectl accepts them. */
const shortNames: Record<string, string> = {
  svc: 'Service',
  deploy: 'Deployment',
  po: 'Pod',
  ev: 'Event',
  ep: 'EndpointSlice',
  canaries: 'Canary',
  canary: 'Canary',
  mt: 'MetricTemplate',
};

export function kindFromUserName(name: string): KindInfo | undefined {
  const lower = name.toLowerCase();
  const short = shortNames[lower];
  if (short && kinds[short]) return kinds[short];
  return Object.values(kinds).find(
    (k) =>
      k.kind.toLowerCase() === lower || k.plural === lower || k.plural === `${lower}s` || k.plural === `${lower}es`,
  );
}
