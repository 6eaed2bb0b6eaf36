/**
 * Linkerd's TLS metric labels (linkerd.md 1.13), as label pairs for `GoldenMetrics.series`, made when a
 * series is interned (a snapshot applied, a client identity first seen), never per request.
 *
 * - outbound over mTLS: `tls="true",server_id="<endpoint identity>"`
 * - inbound over mTLS: `tls="true",client_id="<client identity>"` (no `client_id`: TLS without a
 *   client certificate)
 * - plaintext: `tls="no_identity",no_tls_reason="…"`: outbound `not_provided_by_service_discovery`
 *   (the endpoint has no identity) or `disabled` (this proxy has no certificate yet); inbound
 *   `no_tls_from_remote`.
 *
 * A proxy without an identity source adds none of them: its series stay as they were.
 */
export type LabelPairs = ReadonlyArray<readonly [string, string | undefined]>;

export const NO_LABELS: LabelPairs = [];

export function outboundTlsLabels(serverId: string | undefined, endpointIdentity: string | undefined): LabelPairs {
  if (serverId !== undefined)
    return [
      ['tls', 'true'],
      ['server_id', serverId],
    ];
  return [
    ['tls', 'no_identity'],
    ['no_tls_reason', endpointIdentity === undefined ? 'not_provided_by_service_discovery' : 'disabled'],
  ];
}

export function inboundTlsLabels(tls: boolean, clientId: string | undefined): LabelPairs {
  if (!tls)
    return [
      ['tls', 'no_identity'],
      ['no_tls_reason', 'no_tls_from_remote'],
    ];
  return [
    ['tls', 'true'],
    ['client_id', clientId],
  ];
}
