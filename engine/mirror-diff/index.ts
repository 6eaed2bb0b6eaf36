export * from './json-path.js';
export * from './config.js';
export * from './compare.js';
export * from './noise.js';
export * from './rate.js';
