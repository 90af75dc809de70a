import { JobsClientToken, ShadowClientToken } from '../src/index.js';

// AWS IoT limits a clientToken to 64 bytes, not 64 characters: the SDK's UUIDs fit, a token of
// multi-byte characters may not.
describe.each([
  ['shadow', ShadowClientToken],
  ['jobs', JobsClientToken],
])('%s clientToken', (_name, schema) => {
  it('accepts a UUID and exactly 64 bytes', () => {
    expect(schema.safeParse('9d2b0d4e-2f0c-4d7a-8a55-1f9b1d4a6c3e').success).toBe(true);
    expect(schema.safeParse('a'.repeat(64)).success).toBe(true);
  });

  it('refuses 65 bytes, and 40 characters that take 160 bytes', () => {
    expect(schema.safeParse('a'.repeat(65)).success).toBe(false);
    expect(schema.safeParse('😀'.repeat(40)).success).toBe(false);
    expect(schema.safeParse('é'.repeat(33)).success).toBe(false);
  });
});
