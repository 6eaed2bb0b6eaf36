export * from './types.js';
export * from './cidr.js';
export * from './defaults.js';
export * from './compile.js';
export * from './egress.js';
