export { createService, type PortalContext, type PortalService } from './service.js';
export { PortalConfig } from './config.js';
