export * from './database.js';
export * from './schema-versions.js';
export * from './data-dir.lock.js';
export * from './backup.js';
export * from './data-dir.restore.js';
