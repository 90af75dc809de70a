import type { DisconnectReason } from '@citus/contracts';

export type { DisconnectReason };

/** A client's last known connectivity, as AWS IoT fleet indexing reports it. */
export interface Connectivity {
  connected: boolean;
  /** Epoch ms of the last connect or disconnect. */
  timestamp: number;
  /** Why the last connection ended (`disconnectReason` of `$aws/events/presence/disconnected/{clientId}`). */
  disconnectReason?: DisconnectReason;
}

export interface ConnectivityRecord extends Connectivity {
  clientId: string;
  workspaceId: string;
  /** Orders a client's presence events, which may be delivered late or twice. */
  versionNumber: number;
}

/** Port: where the hub keeps each client's connectivity and presence version. */
export interface ConnectivityRepository {
  get(clientId: string): ConnectivityRecord | undefined;
  save(record: ConnectivityRecord): void;
  /** Removes a client's row, if it belongs to that workspace; false when there was none. */
  delete(workspaceId: string, clientId: string): boolean;
}
