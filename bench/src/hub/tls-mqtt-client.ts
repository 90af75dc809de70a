import { connect, createSecureContext, type TLSSocket } from 'node:tls';
import { generate, parser, type Packet } from 'mqtt-packet';
import { withTimeout } from '../support/async.js';

export interface TlsMqttOptions {
  port: number;
  host?: string;
  caPem: string;
  clientId: string;
  privateKeyPem: string;
  certificatePem: string;
  /** Seconds; long, so that an idle device sends nothing at all while it is measured. */
  keepaliveSeconds?: number;
  connectTimeoutMs?: number;
}

const CONNECT_TIMEOUT_MS = 30_000;
const MAX_PACKET_ID = 65_535;

/**
 * A bare MQTT 3.1.1 client over mutual TLS: `node:tls` and `mqtt-packet`, nothing else, so that
 * the load generator spends little CPU per message and holds little memory per connection (it
 * shares 2 cores with the hub it measures, and holds 10,000 idle connections). It does what the
 * benchmark needs: CONNECT, SUBSCRIBE, QoS 0/1 PUBLISH out, PUBACK of the hub's QoS 1 messages
 * (MQTT 3.1.1 4.3.2), DISCONNECT. Replies on reserved topics reach the requester without a
 * subscription; notifications such as jobs' notify-next need one.
 */
export class TlsMqttClient {
  /** Every PUBLISH the hub sends: topic and payload. */
  onMessage: (topic: string, payload: Buffer) => void = () => undefined;
  /** The connection ended, by either side. */
  onClose: () => void = () => undefined;
  /** QoS 1 publishes sent and not yet acknowledged by the hub. */
  unacked = 0;
  closed = false;
  private nextPacketId = 1;
  private readonly subacks = new Map<number, (granted: number[]) => void>();

  private constructor(
    readonly clientId: string,
    private readonly socket: TLSSocket,
  ) {}

  static async connect(options: TlsMqttOptions): Promise<TlsMqttClient> {
    const secureContext = createSecureContext({ ca: options.caPem, key: options.privateKeyPem, cert: options.certificatePem });
    const socket = connect({ host: options.host ?? '127.0.0.1', port: options.port, secureContext, servername: 'localhost' });
    const client = new TlsMqttClient(options.clientId, socket);
    const connack = new Promise<void>((resolve, reject) => {
      const packets = parser({ protocolVersion: 4 });
      packets.on('packet', (packet: Packet) => {
        if (packet.cmd === 'connack') {
          if (packet.returnCode === 0) resolve();
          else reject(new Error(`${options.clientId}: CONNACK return code ${packet.returnCode}`));
        } else client.onPacket(packet);
      });
      packets.on('error', (error: Error) => socket.destroy(error));
      socket.on('data', (data: Buffer) => packets.parse(data));
      socket.once('error', reject);
      socket.once('close', () => {
        reject(new Error(`${options.clientId}: connection closed before CONNACK`));
        client.closed = true;
        client.onClose();
      });
    });
    // MQTT 3.1.1 3.1: clean session, so nothing of an earlier run is kept or resent.
    socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: options.clientId, keepalive: options.keepaliveSeconds ?? 600 }));
    try {
      await withTimeout(connack, options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, `${options.clientId}: no CONNACK`);
    } catch (error) {
      socket.destroy();
      throw error;
    }
    socket.on('error', () => undefined);
    return client;
  }

  publish(topic: string, payload: string, qos: 0 | 1 = 1): void {
    if (this.closed) return;
    if (qos === 1) {
      this.unacked++;
      this.socket.write(generate({ cmd: 'publish', topic, payload, qos: 1, messageId: this.packetId(), retain: false, dup: false }));
    } else {
      this.socket.write(generate({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false }));
    }
  }

  /** Subscribes at QoS 1; resolves once the SUBACK grants it (a refusal, 0x80, rejects). */
  async subscribe(topic: string): Promise<void> {
    const messageId = this.packetId();
    const granted = new Promise<number[]>((resolve) => this.subacks.set(messageId, resolve));
    this.socket.write(generate({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos: 1 }] }));
    const [code] = await withTimeout(granted, 10_000, `${this.clientId}: no SUBACK for ${topic}`);
    if (code === undefined || code >= 0x80) throw new Error(`${this.clientId}: subscription to ${topic} refused`);
  }

  /** A clean DISCONNECT (so the hub records a client-initiated disconnect), then the end of the stream. */
  async end(): Promise<void> {
    if (this.closed) return;
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.socket.end(generate({ cmd: 'disconnect' }));
    await withTimeout(closed, 5_000, 'slow disconnect').catch(() => this.socket.destroy());
  }

  private onPacket(packet: Packet): void {
    if (packet.cmd === 'puback') {
      this.unacked--;
    } else if (packet.cmd === 'suback') {
      this.subacks.get(packet.messageId ?? 0)?.(packet.granted.map((grant) => (typeof grant === 'number' ? grant : (grant as { qos: number }).qos)));
      this.subacks.delete(packet.messageId ?? 0);
    } else if (packet.cmd === 'publish') {
      if (packet.qos === 1) this.socket.write(generate({ cmd: 'puback', messageId: packet.messageId }));
      this.onMessage(packet.topic, typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload);
    }
  }

  /** Ids wrap within 1..65535; a device never has that many publishes in flight here. */
  private packetId(): number {
    const id = this.nextPacketId;
    this.nextPacketId = id === MAX_PACKET_ID ? 1 : id + 1;
    return id;
  }
}
