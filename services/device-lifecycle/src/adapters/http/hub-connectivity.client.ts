import { InternalConnectivity, MAX_CONNECTIVITY_BATCH, type DeviceConnectivity, type InternalConnectivityRequest } from '@citus/contracts';
import { InternalApiClient, type InternalApiOptions } from '@citus/kit';
import type { ConnectivityDirectory } from '../../domain/device.model.js';

/**
 * The hub's presence over its internal API, for a registry in a process of its own: one request
 * per list (in parts of at most `MAX_CONNECTIVITY_BATCH` names), never one per device. A hub that
 * cannot answer is `unavailable`, naming it: a list is not shown with every device "disconnected".
 */
export function remoteConnectivity(options: InternalApiOptions): ConnectivityDirectory {
  const client = new InternalApiClient(options, 'the hub');
  return {
    async connectivityIn(workspaceId, thingNames) {
      const found = new Map<string, DeviceConnectivity>();
      for (let start = 0; start < thingNames.length; start += MAX_CONNECTIVITY_BATCH) {
        const request: InternalConnectivityRequest = { workspaceId, thingNames: thingNames.slice(start, start + MAX_CONNECTIVITY_BATCH) };
        const { items } = await client.call('POST', '/connectivity', request, InternalConnectivity);
        for (const item of items) found.set(item.thingName, item.connectivity);
      }
      return found;
    },
  };
}
