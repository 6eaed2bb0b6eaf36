import { expectOk, send } from './http.js';
import { credential, joinPath, requireAddress, type MetricQueryRunner, type ProviderConfig } from './types.js';

/** Flagger's influxdb query timeout. */
const TIMEOUT_MS = 15_000;

/** The dialect influxdb-client-go asks for: annotated CSV. */
const DIALECT = { annotations: ['datatype', 'group', 'default'], delimiter: ',', header: true };

/** One CSV line (RFC 4180: quoted fields, doubled quotes inside). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

/**
 * The `_value` of the first record of an annotated-CSV answer of `/api/v2/query`, typed by its `#datatype`
 * annotation: a double, long or unsigned long is the value; an empty value is no data; another type is an
 * error (Flagger: "invalid response"). An `error` column (Flux's in-band error table) is an error.
 */
export function firstFluxValue(csv: string): number | undefined {
  let datatypes: string[] = [];
  let header: string[] | undefined;
  for (const raw of csv.split(/\r?\n/)) {
    if (raw.trim() === '') {
      header = undefined;
      continue;
    }
    const fields = csvFields(raw);
    if (fields[0] === '#datatype') {
      datatypes = fields;
      header = undefined;
      continue;
    }
    if (fields[0]?.startsWith('#')) continue;
    if (header === undefined) {
      header = fields;
      continue;
    }
    const errorAt = header.indexOf('error');
    if (errorAt >= 0 && fields[errorAt]) throw new Error(`influxdb: query error: ${fields[errorAt]}`);
    const at = header.indexOf('_value');
    if (at < 0) throw new Error(`influxdb: invalid response: no _value column in ${header.join(',')}`);
    const v = fields[at] ?? '';
    if (v === '') return undefined;
    const type = datatypes[at] ?? 'double';
    if (type !== 'double' && type !== 'long' && type !== 'unsignedLong') {
      throw new Error(`influxdb: invalid response: _value ${JSON.stringify(v)} is a ${type}, not a number`);
    }
    const n = Number(v);
    if (Number.isNaN(n)) return undefined;
    return n;
  }
  return undefined;
}

/**
 * Flagger's `influxdb` provider (`pkg/metrics/providers/influxdb.go`, influxdb-client-go v2): the Flux
 * query `POST {address}/api/v2/query?org=<org>` with a JSON body `{query, type: flux, dialect}`, and with a
 * `secretRef`, `Authorization: Token <token>` and the org from the Secret keys `token` and `org`. The value
 * is the first record's `_value`. An answer with no records is no data (Flagger returns 0 for it).
 */
export function influxdb(config: ProviderConfig): MetricQueryRunner {
  const base = requireAddress(config);
  let token: string | undefined;
  let org = '';
  if (config.credentials !== undefined) {
    token = credential(config, 'token');
    org = credential(config, 'org');
  }
  return {
    async run(query) {
      const url = joinPath(base, '/api/v2/query');
      url.searchParams.set('org', org);
      const res = await send('influxdb', {
        method: 'POST',
        url,
        headers: {
          'content-type': 'application/json',
          accept: 'text/csv',
          ...(token ? { authorization: `Token ${token}` } : {}),
        },
        body: JSON.stringify({ query, type: 'flux', dialect: DIALECT }),
        timeoutMs: config.timeoutMs ?? TIMEOUT_MS,
        insecureSkipVerify: config.insecureSkipVerify,
      });
      return firstFluxValue(expectOk('influxdb', res));
    },
  };
}
