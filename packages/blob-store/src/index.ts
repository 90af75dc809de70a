export * from './blob-store.port.js';
export * from './filesystem.blob-store.js';
export * from './s3.blob-store.js';
