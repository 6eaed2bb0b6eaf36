/** A Service port as the Destination API names it: `svc.ns.svc.cluster.local:port`. */
export interface ServiceAuthority {
  namespace: string;
  service: string;
  port: number;
}

const SUFFIX = '.svc.cluster.local';

export function formatAuthority(a: ServiceAuthority): string {
  return `${a.service}.${a.namespace}${SUFFIX}:${a.port}`;
}

/** `web.test.svc.cluster.local:80` -> `{ namespace: 'test', service: 'web', port: 80 }`; undefined when it is not one */
export function parseAuthority(path: string): ServiceAuthority | undefined {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc\.cluster\.local:(\d{1,5})$/.exec(
    path,
  );
  if (m === null) return undefined;
  const port = Number(m[5]);
  if (port < 1 || port > 65535) return undefined;
  return { service: m[1]!, namespace: m[3]!, port };
}
