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
  // `/api/v1/namespaces/NS/PLURAL...` unless it is the Namespace object's own subresource
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && !kindByPlural(group, rest[2]!))) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource] = rest;
  if (plural === undefined || rest.length > 3) return undefined;
  const info = kindByPlural(group, plural);
  if (!info) return undefined;
  if (!info.namespaced && namespace !== undefined) return undefined;
  return { info, namespace: info.namespaced ? namespace : '', name: decode(name), subresource };
}

function decode(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function kubePathOf(info: KindInfo, namespace?: string, name?: string): string {
  const base = info.group === '' ? '/api/v1' : `/apis/${info.group}/${info.version}`;
  const ns =
    namespace === undefined || !info.namespaced
      ? ''
      : `/namespaces/${namespace.startsWith('{') ? namespace : encodeURIComponent(namespace)}`;
  const n = name === undefined ? '' : `/${name.startsWith('{') ? name : encodeURIComponent(name)}`;
  return `${base}${ns}/${info.plural}${n}`;
}

/** `canary`, `canaries`, `Canary`, `svc`, `deploy`, `canaries.flagger.app`... as kubectl accepts them. */
export function kindFromUserName(name: string): KindInfo | undefined {
  const dot = name.indexOf('.');
  if (dot > 0) {
    const group = name.slice(dot + 1);
    const k = kindFromUserName(name.slice(0, dot));
    return k?.group === group ? k : undefined;
  }
  const lower = name.toLowerCase();
  const short = Object.values(kinds).find((k) => k.shortNames?.includes(lower));
  if (short) return short;
  return Object.values(kinds).find(
    (k) =>
      k.kind.toLowerCase() === lower || k.plural === lower || k.plural === `${lower}s` || k.plural === `${lower}es`,
  );
}
