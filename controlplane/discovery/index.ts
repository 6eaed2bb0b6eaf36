export * from './store-config-source.js';
export * from './cluster-ips.js';
