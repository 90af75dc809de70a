export { createService, type IotHubContext, type IotHubService } from './service.js';
export { IotHubConfig } from './config.js';
