export * from './binaries.js';
export * from './identities.js';
export * from './local.js';
export * from './pki.js';
