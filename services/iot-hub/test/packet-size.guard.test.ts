import { PacketSizeMeter } from '../src/adapters/mqtt/packet-size.guard.js';

/** An MQTT packet: a fixed header byte, the remaining length as a variable byte integer, a body. */
function packet(bodyLength: number, type = 0x30): Buffer {
  const length: number[] = [];
  let rest = bodyLength;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    length.push(byte);
  } while (rest > 0);
  return Buffer.concat([Buffer.from([type, ...length]), Buffer.alloc(bodyLength, 0x61)]);
}

describe('PacketSizeMeter', () => {
  it('follows packet boundaries within and across chunks', () => {
    const meter = new PacketSizeMeter(1000);
    const stream = Buffer.concat([packet(10), packet(1000), packet(0, 0xc0), packet(300)]);
    for (let at = 0; at < stream.length; at += 7) expect(meter.feed(stream.subarray(at, at + 7))).toBeUndefined();
  });

  it('refuses a header announcing more than the limit, even split byte by byte', () => {
    const meter = new PacketSizeMeter(1000);
    expect(meter.feed(packet(20))).toBeUndefined();
    const header = packet(1001).subarray(0, 3);
    expect(meter.feed(header.subarray(0, 1))).toBeUndefined();
    expect(meter.feed(header.subarray(1, 2))).toBeUndefined();
    expect(meter.feed(header.subarray(2))).toMatch(/1001 bytes/);
  });

  it('refuses a remaining length longer than four bytes', () => {
    expect(new PacketSizeMeter(1000).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toMatch(/malformed/);
  });

  it('accepts the largest length a limit allows', () => {
    expect(new PacketSizeMeter(268_435_455).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]))).toBeUndefined();
  });
});
