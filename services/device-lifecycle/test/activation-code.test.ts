import {
  activationCodeMatches,
  hashActivationCode,
  newActivationCode,
  normaliseActivationCode,
} from '../src/domain/activation-code.rules.js';
import { newThingName } from '../src/domain/thing-name.rules.js';

describe('activation codes', () => {
  it('are four groups of four Crockford base32 characters, different each time', () => {
    const codes = new Set(Array.from({ length: 200 }, () => newActivationCode()));
    expect(codes.size).toBe(200);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
  });

  it('normalise case, dashes, spaces and the look-alikes O, I and L', () => {
    expect(normaliseActivationCode(' abcd-efgh ijkm-nOIL ')).toBe('ABCDEFGH1JKMN011');
  });

  it('match however they are typed, and not when a character differs', () => {
    const hash = hashActivationCode('AB01-CD23-EF45-GH67');
    expect(activationCodeMatches('ab01cd23ef45gh67', hash)).toBe(true);
    expect(activationCodeMatches('abOl cd23 ef45 gh67', hash)).toBe(true);
    expect(activationCodeMatches('AB01-CD23-EF45-GH68', hash)).toBe(false);
    expect(activationCodeMatches('', hash)).toBe(false);
  });

  it('refuse a malformed stored hash instead of throwing', () => {
    expect(activationCodeMatches('AB01', 'not-hex')).toBe(false);
  });
});

describe('thing names', () => {
  it('come from the device name, with a random suffix, as valid AWS IoT thing names', () => {
    expect(newThingName('Kitchen Sensor #1')).toMatch(/^kitchen-sensor-1-[0-9a-f]{8}$/);
    expect(newThingName('!!!')).toMatch(/^device-[0-9a-f]{8}$/);
    expect(newThingName('x'.repeat(200)).length).toBe(49);
  });

  // NFKD splits "ü" into "u" and a combining mark, but the mark is then turned into a dash
  // ("u-ni-co-de-gera-t-...") instead of being dropped.
  it('drop accents rather than splitting words at them', () => {
    expect(newThingName('Ünïcödé  Gerät')).toMatch(/^unicode-gerat-[0-9a-f]{8}$/);
  });
});
