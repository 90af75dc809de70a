export * from './certificate-authority.js';
export * from './keys.js';
