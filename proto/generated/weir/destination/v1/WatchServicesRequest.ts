// Original file: proto/destination.proto


export interface WatchServicesRequest {
  /**
   * JSON about the caller, as in `GetDestination.context_token`
   */
  'contextToken'?: (string);
}

export interface WatchServicesRequest__Output {
  /**
   * JSON about the caller, as in `GetDestination.context_token`
   */
  'contextToken': (string);
}
