export * from './source.js';
export * from './authorize.js';
export * from './compiled.js';
export * from './layer.js';
export * from './metrics.js';
export * from './rate-limit.js';
