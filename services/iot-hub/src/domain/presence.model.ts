/**
 * Why a connection ended, in AWS IoT's lifecycle-event vocabulary (`disconnectReason` of
 * `$aws/events/presence/disconnected/{clientId}`).
 */
export type DisconnectReason =
  | 'CLIENT_INITIATED_DISCONNECT'
  | 'DUPLICATE_CLIENTID'
  | 'MQTT_KEEP_ALIVE_TIMEOUT'
  | 'CONNECTION_LOST'
  | 'AUTH_ERROR'
  | 'FORBIDDEN_ACCESS'
  | 'CLIENT_ERROR'
  | 'SERVER_INITIATED_DISCONNECT';

/** A client's last known connectivity, as AWS IoT fleet indexing reports it. */
export interface Connectivity {
  connected: boolean;
  /** Epoch ms of the last connect or disconnect. */
  timestamp: number;
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
}
