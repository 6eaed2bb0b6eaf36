// Original file: proto/inbound.proto


export interface _weir_inbound_v1_Authn_PermitMeshTLS {
  'identities'?: (string)[];
  'suffixes'?: (string)[];
}

export interface _weir_inbound_v1_Authn_PermitMeshTLS__Output {
  'identities': (string)[];
  'suffixes': (string)[];
}

export interface _weir_inbound_v1_Authn_PermitUnauthenticated {
}

export interface _weir_inbound_v1_Authn_PermitUnauthenticated__Output {
}

export interface Authn {
  'unauthenticated'?: (_weir_inbound_v1_Authn_PermitUnauthenticated | null);
  'meshTls'?: (_weir_inbound_v1_Authn_PermitMeshTLS | null);
  'permit'?: "unauthenticated"|"meshTls";
}

export interface Authn__Output {
  'unauthenticated'?: (_weir_inbound_v1_Authn_PermitUnauthenticated__Output | null);
  'meshTls'?: (_weir_inbound_v1_Authn_PermitMeshTLS__Output | null);
  'permit'?: "unauthenticated"|"meshTls";
}
