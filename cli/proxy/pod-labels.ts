/** a label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters */
const KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/**
 * `--pod-labels key=value,key2=value2`: the labels of the proxy's own pod (what source-label route rules
 * select on). Returns the map, or what is wrong with the flag.
 */
export function parsePodLabels(flag: string | undefined): Record<string, string> | string | undefined {
  if (flag === undefined) return undefined;
  const out: Record<string, string> = {};
  if (flag.trim() === '') return out;
  for (const pair of flag.split(',')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? undefined : pair.slice(eq + 1);
    if (value === undefined || !KEY.test(key) || !VALUE.test(value))
      return `--pod-labels must be key=value pairs separated by commas (Kubernetes label syntax), got ${JSON.stringify(pair)}`;
    out[key] = value;
  }
  return out;
}

/** the flag's value for a pod's labels, keys sorted */
export function podLabelsFlag(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}
