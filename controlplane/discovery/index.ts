export * from './store-config-source.js';
