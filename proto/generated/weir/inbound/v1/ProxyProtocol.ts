// Original file: proto/inbound.proto


export interface _weir_inbound_v1_ProxyProtocol_Detect {
  /**
   * how long to wait for the first bytes before treating the connection as opaque
   */
  'timeoutMs'?: (number);
}

export interface _weir_inbound_v1_ProxyProtocol_Detect__Output {
  /**
   * how long to wait for the first bytes before treating the connection as opaque
   */
  'timeoutMs': (number);
}

export interface _weir_inbound_v1_ProxyProtocol_Grpc {
}

export interface _weir_inbound_v1_ProxyProtocol_Grpc__Output {
}

export interface _weir_inbound_v1_ProxyProtocol_Http1 {
}

export interface _weir_inbound_v1_ProxyProtocol_Http1__Output {
}

export interface _weir_inbound_v1_ProxyProtocol_Http2 {
}

export interface _weir_inbound_v1_ProxyProtocol_Http2__Output {
}

export interface _weir_inbound_v1_ProxyProtocol_Opaque {
}

export interface _weir_inbound_v1_ProxyProtocol_Opaque__Output {
}

export interface _weir_inbound_v1_ProxyProtocol_Tls {
}

export interface _weir_inbound_v1_ProxyProtocol_Tls__Output {
}

export interface ProxyProtocol {
  'detect'?: (_weir_inbound_v1_ProxyProtocol_Detect | null);
  'opaque'?: (_weir_inbound_v1_ProxyProtocol_Opaque | null);
  'tls'?: (_weir_inbound_v1_ProxyProtocol_Tls | null);
  'http1'?: (_weir_inbound_v1_ProxyProtocol_Http1 | null);
  'http2'?: (_weir_inbound_v1_ProxyProtocol_Http2 | null);
  'grpc'?: (_weir_inbound_v1_ProxyProtocol_Grpc | null);
  'kind'?: "detect"|"opaque"|"tls"|"http1"|"http2"|"grpc";
}

export interface ProxyProtocol__Output {
  'detect'?: (_weir_inbound_v1_ProxyProtocol_Detect__Output | null);
  'opaque'?: (_weir_inbound_v1_ProxyProtocol_Opaque__Output | null);
  'tls'?: (_weir_inbound_v1_ProxyProtocol_Tls__Output | null);
  'http1'?: (_weir_inbound_v1_ProxyProtocol_Http1__Output | null);
  'http2'?: (_weir_inbound_v1_ProxyProtocol_Http2__Output | null);
  'grpc'?: (_weir_inbound_v1_ProxyProtocol_Grpc__Output | null);
  'kind'?: "detect"|"opaque"|"tls"|"http1"|"http2"|"grpc";
}
