export { GrpcConfigSource, type GrpcConfigSourceOptions } from './grpc-config-source.js';
export { certifyOverGrpc, CertifyCallError, type CertifyRequest, type CertifyResponse } from './certify.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { checkAddress } from './clients.js';
export { realTimers, type Timers } from './timers.js';
export { GrpcPolicySource, type GrpcPolicySourceOptions } from './grpc-policy-source.js';
