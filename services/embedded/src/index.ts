export { loadConfig, startPlatform, type Platform } from './platform.js';
