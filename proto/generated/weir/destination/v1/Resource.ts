// Original file: proto/destination.proto


/**
 * A Gateway API route resource as the mesh holds it: its Kubernetes JSON (`apiVersion`, `kind`,
 * `metadata`, `spec`), which the client validates with the same schema as a manifest.
 */
export interface Resource {
  /**
   * `HTTPRoute`, `GRPCRoute`, `Service`
   */
  'kind'?: (string);
  'namespace'?: (string);
  'name'?: (string);
  'json'?: (Buffer | Uint8Array | string);
}

/**
 * A Gateway API route resource as the mesh holds it: its Kubernetes JSON (`apiVersion`, `kind`,
 * `metadata`, `spec`), which the client validates with the same schema as a manifest.
 */
export interface Resource__Output {
  /**
   * `HTTPRoute`, `GRPCRoute`, `Service`
   */
  'kind': (string);
  'namespace': (string);
  'name': (string);
  'json': (Buffer);
}
