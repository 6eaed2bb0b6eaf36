// Original file: proto/destination.proto


export interface GetDestination {
  'scheme'?: (string);
  /**
   * `svc.ns.svc.cluster.local:port`
   */
  'path'?: (string);
  /**
   * JSON about the caller, as Linkerd's: `{"ns":"test","nodeName":"...","pod":"web-1"}`
   */
  'contextToken'?: (string);
}

export interface GetDestination__Output {
  'scheme': (string);
  /**
   * `svc.ns.svc.cluster.local:port`
   */
  'path': (string);
  /**
   * JSON about the caller, as Linkerd's: `{"ns":"test","nodeName":"...","pod":"web-1"}`
   */
  'contextToken': (string);
}
