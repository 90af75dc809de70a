export { loadConfig, startPlatform, startServices, type Platform, type ServiceProcess } from './platform.js';
