import { checkRequest, checkShadowName, checkUpdate, clientTokenOf, depthOf, readInput } from '../src/domain/shadow/shadow-request.rules.js';
import { applyPatch, deltaMetadataOf, deltaOf, deltaOfContent, jsonEqual, metadataOf } from '../src/domain/shadow/shadow-state.rules.js';
import type { ShadowContent } from '../src/domain/shadow/shadow.model.js';

const T1 = 1_700_000_000;
const T2 = T1 + 60;

/** `levels` nested objects: {a:{a:...{a:1}}}. */
const nested = (levels: number): unknown => (levels === 0 ? 1 : { a: nested(levels - 1) });

describe('shadow request rules (AWS "Device Shadow error messages")', () => {
  it.each<[string, unknown, number, string]>([
    ['no state', {}, 400, 'Missing required node: state'],
    ['state not an object', { state: 'on' }, 400, 'State node must be an object'],
    ['state null', { state: null }, 400, 'State node must be an object'],
    ['state an array', { state: [] }, 400, 'State node must be an object'],
    ['desired not an object', { state: { desired: 5 } }, 400, 'Desired node must be an object'],
    ['desired an array', { state: { desired: [1] } }, 400, 'Desired node must be an object'],
    ['reported not an object', { state: { reported: 'x' } }, 400, 'Reported node must be an object'],
    ['an unknown node in state', { state: { delta: {} } }, 400, 'State contains an invalid node'],
    ['a string version', { state: {}, version: '3' }, 400, 'Invalid version'],
    ['a fractional version', { state: {}, version: 1.5 }, 400, 'Invalid version'],
    ['a negative version', { state: {}, version: -1 }, 400, 'Invalid version'],
    ['a numeric clientToken', { state: {}, clientToken: 7 }, 400, 'Invalid clientToken'],
    ['a 65-byte clientToken', { state: {}, clientToken: 'x'.repeat(65) }, 400, 'Invalid clientToken'],
    ['a clientToken of 33 two-byte chars', { state: {}, clientToken: 'é'.repeat(33) }, 400, 'Invalid clientToken'],
    ['not an object', [1, 2], 400, 'Invalid JSON'],
    ['seven levels in desired', { state: { desired: nested(7) } }, 400, 'JSON contains too many levels of nesting; maximum is 6'],
    ['seven levels of arrays in reported', { state: { reported: { a: [[[[[[1]]]]]] } } }, 400, 'JSON contains too many levels of nesting; maximum is 6'],
    ['state over 8 KB', { state: { reported: { blob: 'x'.repeat(8 * 1024) } } }, 413, 'The payload exceeds the maximum size allowed'],
  ])('refuses %s', (_case, request, code, message) => {
    expect(checkUpdate(request)).toEqual({ ok: false, error: { code, message } });
  });

  it.each<[string, unknown]>([
    ['desired only', { state: { desired: { on: true } } }],
    ['null sections', { state: { desired: null, reported: null } }],
    ['six levels', { state: { desired: nested(6) } }],
    ['a version and a 64-byte token', { state: { reported: {} }, version: 0, clientToken: 'x'.repeat(64) }],
    ['the SDK\'s extra thingName', { thingName: 'lamp-1', state: { reported: { on: false } } }],
  ])('accepts %s', (_case, request) => {
    expect(checkUpdate(request).ok).toBe(true);
  });

  it('reads MQTT payloads: empty is {}, bad JSON 400, bad UTF-8 415', () => {
    expect(readInput({ payload: Buffer.alloc(0) })).toEqual({ ok: true, value: {} });
    expect(readInput({ payload: Buffer.from('{"state":') })).toEqual({ ok: false, error: { code: 400, message: 'Invalid JSON' } });
    expect(readInput({ payload: Buffer.from([0x7b, 0xff, 0x7d]) })).toEqual({
      ok: false,
      error: { code: 415, message: 'Unsupported documented encoding; supported encoding is UTF-8' },
    });
    expect(readInput({ body: undefined })).toEqual({ ok: true, value: {} });
  });

  it('checks get/delete requests, shadow names and the token to echo', () => {
    expect(checkRequest({ clientToken: 'abc', thingName: 'x' })).toEqual({ ok: true, value: { clientToken: 'abc' } });
    expect(checkRequest('hello')).toEqual({ ok: false, error: { code: 400, message: 'Invalid JSON' } });
    expect(checkShadowName(undefined)).toEqual({ ok: true, value: '' });
    expect(checkShadowName('fw:v2_beta-1')).toEqual({ ok: true, value: 'fw:v2_beta-1' });
    for (const bad of ['', 'a'.repeat(65), 'bad$name', 'sp ace']) expect(checkShadowName(bad).ok).toBe(false);
    expect(clientTokenOf({ clientToken: 'tok' })).toBe('tok');
    expect(clientTokenOf({ clientToken: 'x'.repeat(65) })).toBeUndefined();
    expect(clientTokenOf([1])).toBeUndefined();
    expect(depthOf(5)).toBe(0);
    expect(depthOf({ a: [{}] })).toBe(3);
  });
});

describe('shadow state rules (AWS "Device Shadow service documents")', () => {
  const first = applyPatch(undefined, { desired: { color: 'red', lights: { kitchen: 'on', hall: 'off' } }, reported: { color: 'green' } }, T1);

  it('creates a shadow with metadata mirroring the state', () => {
    expect(first).toEqual<ShadowContent>({
      state: { desired: { color: 'red', lights: { kitchen: 'on', hall: 'off' } }, reported: { color: 'green' } },
      metadata: {
        desired: { color: { timestamp: T1 }, lights: { kitchen: { timestamp: T1 }, hall: { timestamp: T1 } } },
        reported: { color: { timestamp: T1 } },
      },
    });
  });

  it.each<[string, Parameters<typeof applyPatch>[1], ShadowContent]>([
    [
      'merges objects and touches only the fields sent',
      { desired: { lights: { hall: 'on' } } },
      {
        state: { desired: { color: 'red', lights: { kitchen: 'on', hall: 'on' } }, reported: { color: 'green' } },
        metadata: {
          desired: { color: { timestamp: T1 }, lights: { kitchen: { timestamp: T1 }, hall: { timestamp: T2 } } },
          reported: { color: { timestamp: T1 } },
        },
      },
    ],
    [
      'deletes a key with null, and an object emptied by nulls',
      { desired: { color: null, lights: { kitchen: null, hall: null } } },
      { state: { reported: { color: 'green' } }, metadata: { reported: { color: { timestamp: T1 } } } },
    ],
    [
      'deletes a section with null',
      { reported: null },
      {
        state: { desired: { color: 'red', lights: { kitchen: 'on', hall: 'off' } } },
        metadata: { desired: { color: { timestamp: T1 }, lights: { kitchen: { timestamp: T1 }, hall: { timestamp: T1 } } } },
      },
    ],
    [
      'replaces arrays whole and replaces an object by a value',
      { reported: { color: ['a', 'b'] }, desired: { lights: 'all-off' } },
      {
        state: { desired: { color: 'red', lights: 'all-off' }, reported: { color: ['a', 'b'] } },
        metadata: {
          desired: { color: { timestamp: T1 }, lights: { timestamp: T2 } },
          reported: { color: [{ timestamp: T2 }, { timestamp: T2 }] },
        },
      },
    ],
  ])('%s', (_case, patch, expected) => {
    const before = JSON.stringify(first);
    expect(applyPatch(first, patch, T2)).toEqual(expected);
    expect(JSON.stringify(first)).toBe(before);
  });

  it('drops nulls inside a new object', () => {
    expect(applyPatch(undefined, { desired: { a: { b: null, c: 1 } } }, T1).state).toEqual({ desired: { a: { c: 1 } } });
  });

  it.each<[string, unknown, unknown, object]>([
    ['differing values', { color: 'red', on: true }, { color: 'green', on: true }, { color: 'red' }],
    ['keys missing from reported', { color: 'red' }, undefined, { color: 'red' }],
    ['nested objects, key by key', { l: { a: 1, b: 2 } }, { l: { a: 1, b: 3, c: 4 } }, { l: { b: 2 } }],
    ['arrays whole', { list: [1, 2] }, { list: [1, 2, 3] }, { list: [1, 2] }],
    ['equal arrays of objects', { list: [{ a: 1, b: 2 }] }, { list: [{ b: 2, a: 1 }] }, {}],
    ['an object against a value', { l: { a: 1 } }, { l: 'x' }, { l: { a: 1 } }],
    ['reported-only keys ignored', {}, { extra: 1 }, {}],
  ])('delta of %s', (_case, desired, reported, delta) => {
    expect(deltaOf(desired as Record<string, unknown>, reported as Record<string, unknown> | undefined)).toEqual(delta);
  });

  it('gives the delta the desired metadata, and none when desired and reported agree', () => {
    expect(deltaMetadataOf({ lights: { hall: 'off' } }, first.metadata.desired)).toEqual({ lights: { hall: { timestamp: T1 } } });
    expect(deltaOfContent(first)).toEqual({
      state: { color: 'red', lights: { kitchen: 'on', hall: 'off' } },
      metadata: { color: { timestamp: T1 }, lights: { kitchen: { timestamp: T1 }, hall: { timestamp: T1 } } },
    });
    expect(deltaOfContent(applyPatch(undefined, { desired: { a: 1 }, reported: { a: 1, b: 2 } }, T1))).toBeUndefined();
    expect(deltaOfContent(undefined)).toBeUndefined();
  });

  it('compares JSON by value and mirrors metadata', () => {
    expect(jsonEqual({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual([1], { 0: 1 })).toBe(false);
    expect(metadataOf({ a: null, b: [1, { c: 2 }] }, T1)).toEqual({ a: { timestamp: T1 }, b: [{ timestamp: T1 }, { c: { timestamp: T1 } }] });
  });
});
