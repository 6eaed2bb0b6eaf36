export * from './store-config-source.js';
export * from './cluster-ips.js';
export * from './mesh-file.js';
export * from './file-config-source.js';
