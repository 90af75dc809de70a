import { Duplex, Transform, type TransformCallback } from 'node:stream';
import type { TLSSocket } from 'node:tls';

export class PacketTooLargeError extends Error {
  constructor(readonly announced: number) {
    super(`MQTT packet of ${announced} bytes announced, over the limit`);
    this.name = 'PacketTooLargeError';
  }
}

/**
 * Reads each MQTT packet's fixed header as the bytes go by and fails as soon as a packet announces
 * a remaining length over the limit, so an oversize packet is refused before it is buffered.
 * [MQTT-2.2.3] The remaining length is a variable byte integer of at most four bytes.
 */
export class PacketSizeLimiter extends Transform {
  private bodyLeft = 0;
  private headerBytes = 0;
  private length = 0;
  private multiplier = 1;

  constructor(private readonly maxRemainingLength: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
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
        if (this.headerBytes === 5) return callback(new Error('malformed MQTT remaining length'));
        continue;
      }
      if (this.length > this.maxRemainingLength) return callback(new PacketTooLargeError(this.length));
      this.bodyLeft = this.length;
      this.headerBytes = 0;
    }
    callback(null, chunk);
  }
}

/**
 * The connection aedes sees: reads pass through the limiter, writes go straight to the socket.
 * An oversize packet destroys the TLS socket at once.
 */
export function guardPacketSize(socket: TLSSocket, maxRemainingLength: number, onRefused: (error: Error) => void): Duplex {
  const limiter = new PacketSizeLimiter(maxRemainingLength);
  limiter.on('error', (error) => {
    onRefused(error);
    socket.destroy();
  });
  socket.pipe(limiter);
  return Duplex.from({ readable: limiter, writable: socket });
}
