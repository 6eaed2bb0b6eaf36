// Original file: proto/inbound.proto


export interface PortSpec {
  /**
   * the workload: `{"ns":"test","pod":"web-1"}` (Linkerd's form) or `test:web-1`
   */
  'workload'?: (string);
  /**
   * the port the workload's endpoints are announced on (its sidecar's inbound port)
   */
  'port'?: (number);
}

export interface PortSpec__Output {
  /**
   * the workload: `{"ns":"test","pod":"web-1"}` (Linkerd's form) or `test:web-1`
   */
  'workload': (string);
  /**
   * the port the workload's endpoints are announced on (its sidecar's inbound port)
   */
  'port': (number);
}
