export * from './prom-text.js';
export * from './prom-math.js';
export * from './golden.js';
export * from './go-format.js';
export * from './thresholds.js';
export * from './sequential.js';
export * from './compare-settings.js';
export * from './compare.js';
