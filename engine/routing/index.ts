export * from './request.js';
export * from './attach.js';
export * from './match.js';
export * from './precedence.js';
export * from './weighted.js';
export * from './backends.js';
export * from './table.js';
