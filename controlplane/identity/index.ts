/** The identity CA of the control plane. The Kubernetes token reviewer is imported from its own file. */
export * from './authority.js';
export * from './authority-store.js';
export * from './ca-certifier.js';
export * from './certifier.js';
export * from './local-tokens.js';
export * from './names.js';
export type { TokenReviewer } from './token-reviewer.js';
export { AuthorityError, validateAuthority, type AuthorityFiles } from './validate-authority.js';
