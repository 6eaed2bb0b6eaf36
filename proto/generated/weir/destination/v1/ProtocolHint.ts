// Original file: proto/destination.proto


export interface _weir_destination_v1_ProtocolHint_H2 {
}

export interface _weir_destination_v1_ProtocolHint_H2__Output {
}

export interface _weir_destination_v1_ProtocolHint_Opaque {
}

export interface _weir_destination_v1_ProtocolHint_Opaque__Output {
}

/**
 * How the endpoint may be spoken to, from the Service port's `appProtocol`.
 */
export interface ProtocolHint {
  /**
   * HTTP/2 (`kubernetes.io/h2c`, `grpc`)
   */
  'h2'?: (_weir_destination_v1_ProtocolHint_H2 | null);
  /**
   * not HTTP: forwarded as TCP (`tcp`, `linkerd.io/opaque`)
   */
  'opaque'?: (_weir_destination_v1_ProtocolHint_Opaque | null);
  'protocol'?: "h2"|"opaque";
}

/**
 * How the endpoint may be spoken to, from the Service port's `appProtocol`.
 */
export interface ProtocolHint__Output {
  /**
   * HTTP/2 (`kubernetes.io/h2c`, `grpc`)
   */
  'h2'?: (_weir_destination_v1_ProtocolHint_H2__Output | null);
  /**
   * not HTTP: forwarded as TCP (`tcp`, `linkerd.io/opaque`)
   */
  'opaque'?: (_weir_destination_v1_ProtocolHint_Opaque__Output | null);
  'protocol'?: "h2"|"opaque";
}
