// Original file: proto/destination.proto


export interface _weir_destination_v1_TlsIdentity_DnsLikeIdentity {
  'name'?: (string);
}

export interface _weir_destination_v1_TlsIdentity_DnsLikeIdentity__Output {
  'name': (string);
}

export interface TlsIdentity {
  'dnsLikeIdentity'?: (_weir_destination_v1_TlsIdentity_DnsLikeIdentity | null);
  'strategy'?: "dnsLikeIdentity";
}

export interface TlsIdentity__Output {
  'dnsLikeIdentity'?: (_weir_destination_v1_TlsIdentity_DnsLikeIdentity__Output | null);
  'strategy'?: "dnsLikeIdentity";
}
