import type { Duplex } from 'node:stream';

/**
 * Follows the MQTT packet boundaries in a byte stream and reports the first packet whose fixed
 * header announces a remaining length over the limit, before its body is read.
 * [MQTT-2.2.3] The remaining length is a variable byte integer of at most four bytes.
 */
export class PacketSizeMeter {
  private bodyLeft = 0;
  private headerBytes = 0;
  private length = 0;
  private multiplier = 1;

  constructor(private readonly maxRemainingLength: number) {}

  /** A reason to refuse the connection, or undefined while every packet is within the limit. */
  feed(chunk: Buffer): string | undefined {
    let index = 0;
    while (index < chunk.length) {
      if (this.bodyLeft > 0) {
        const taken = Math.min(this.bodyLeft, chunk.length - index);
        this.bodyLeft -= taken;
        index += taken;
        continue;
      }
      const byte = chunk[index++] as number;
      if (this.headerBytes++ === 0) {
        this.length = 0;
        this.multiplier = 1;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      if (byte & 0x80) {
        if (this.headerBytes === 5) return 'malformed MQTT remaining length';
        continue;
      }
      if (this.length > this.maxRemainingLength) return `MQTT packet of ${this.length} bytes announced, over the limit`;
      this.bodyLeft = this.length;
      this.headerBytes = 0;
    }
    return undefined;
  }
}

/**
 * Meters every chunk aedes reads from the socket (it reads with `read()`, in paused mode) and
 * destroys the socket at the first oversize header, so an oversize packet is never buffered
 * beyond the socket's own high-water mark. Wrapping `read` costs nothing per byte beyond the
 * header scan; a stream in between would add a hop to every chunk.
 */
export function guardPacketSize(socket: Duplex, maxRemainingLength: number, onRefused: (reason: string) => void): void {
  const meter = new PacketSizeMeter(maxRemainingLength);
  const read = socket.read.bind(socket);
  socket.read = (size?: number) => {
    const chunk: unknown = read(size);
    if (Buffer.isBuffer(chunk)) {
      const refused = meter.feed(chunk);
      if (refused) {
        onRefused(refused);
        socket.destroy();
        return null;
      }
    }
    return chunk;
  };
}
