// Original file: proto/egress.proto


export interface EgressWatch {
  /**
   * JSON about the caller, as in `GetDestination.context_token`: `{"ns":"test","pod":"web-1"}`
   */
  'contextToken'?: (string);
}

export interface EgressWatch__Output {
  /**
   * JSON about the caller, as in `GetDestination.context_token`: `{"ns":"test","pod":"web-1"}`
   */
  'contextToken': (string);
}
