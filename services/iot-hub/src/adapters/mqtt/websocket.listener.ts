import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { MAX_PAYLOAD_BYTES } from '../../domain/device.policy.js';
import type { HubBroker } from './hub.broker.js';

export const MQTT_WEBSOCKET_PATH = '/mqtt';

/**
 * MQTT over WebSocket on the HTTP port, at `/mqtt`, as AWS IoT serves it at `/mqtt` on 443. The
 * `mqtt` subprotocol is chosen when offered ([MQTT-6.0.0-3]); a frame larger than the largest
 * MQTT packet the hub accepts closes the socket.
 */
export function mqttOverWebSocket(broker: () => HubBroker | undefined) {
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_PAYLOAD_BYTES + 8 * 1024,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
  });
  return (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    const path = new URL(req.url ?? '/', 'http://hub').pathname;
    if (path !== MQTT_WEBSOCKET_PATH) return false;
    const hub = broker();
    if (!hub) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return true;
    }
    server.handleUpgrade(req, socket, head, (websocket) => {
      const stream = createWebSocketStream(websocket);
      stream.on('error', () => websocket.terminate());
      hub.handleWebSocket(stream, req);
    });
    return true;
  };
}
