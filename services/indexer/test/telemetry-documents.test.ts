import type { ChangeRecord } from '../src/domain/change-feed.port.js';
import { MAX_TEXT_CHARS, toDocument, toDocuments } from '../src/app/telemetry-documents.js';

const T0 = 1_700_000_000_000;

function aChangeRecord(payload: unknown, overrides: Partial<ChangeRecord> = {}): ChangeRecord {
  return {
    topic: 'telemetry/gas-1',
    epoch: T0,
    workspaceId: 'ws_a',
    thingName: 'gas-1',
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    ...overrides,
  };
}

describe('toDocument', () => {
  it("takes label, unit and value from the original firmware's message and every string for text", () => {
    const record = aChangeRecord({ value: 412.5, unit: 'PPM', label: 'Leakage', '@timestamp': T0, temperature: 21.5, ID: 'dev-1', ownerID: 'owner-1' });
    expect(toDocument(record)).toEqual({
      id: `telemetry/gas-1#${T0}`,
      workspaceId: 'ws_a',
      thingName: 'gas-1',
      topic: 'telemetry/gas-1',
      epoch: T0,
      label: 'Leakage',
      unit: 'PPM',
      value: 412.5,
      text: 'PPM Leakage dev-1 owner-1',
    });
  });

  it('gives the same id to the same record delivered twice, and another id to another epoch', () => {
    const record = aChangeRecord({ value: 1 });
    expect(toDocument(record).id).toBe(toDocument({ ...record }).id);
    expect(toDocument({ ...record, epoch: T0 + 1 }).id).not.toBe(toDocument(record).id);
  });

  it('collects nested and array strings, skipping timestamps and blank strings', () => {
    const record = aChangeRecord({ timestamp: '2024-01-01T00:00:00Z', site: { room: 'Kitchen', tags: ['north', ' ', 3, { note: 'door open' }] }, ok: true });
    expect(toDocument(record).text).toBe('Kitchen north door open');
  });

  it('leaves out fields of the wrong type', () => {
    const document = toDocument(aChangeRecord({ value: '412', unit: 5, label: null }));
    expect(document).not.toHaveProperty('value');
    expect(document).not.toHaveProperty('unit');
    expect(document).not.toHaveProperty('label');
    expect(document.text).toBe('412');
  });

  it('bounds the text, without splitting a surrogate pair', () => {
    const document = toDocument(aChangeRecord({ a: 'x'.repeat(MAX_TEXT_CHARS - 1) + '😀', b: 'y'.repeat(10_000) }));
    expect(document.text.length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
    expect(document.text).toBe('x'.repeat(MAX_TEXT_CHARS - 1));
    expect(toDocument(aChangeRecord({ label: 'L'.repeat(1000) })).label).toHaveLength(256);
  });

  it('stops at a deep nesting instead of exhausting the stack', () => {
    let nested: unknown = 'deep';
    for (let depth = 0; depth < 100; depth += 1) nested = { nested };
    expect(toDocument(aChangeRecord({ top: 'shallow', nested })).text).toBe('shallow');
  });

  it.each(['not json', '[1,2]', 'null', '"text"'])('still yields a document, with no text, for the payload %p', (payload) => {
    expect(toDocument(aChangeRecord(payload))).toEqual({ id: `telemetry/gas-1#${T0}`, workspaceId: 'ws_a', thingName: 'gas-1', topic: 'telemetry/gas-1', epoch: T0, text: '' });
  });
});

describe('toDocuments', () => {
  it('turns a batch into one document per record, in order', () => {
    const records = [aChangeRecord({ label: 'a' }), aChangeRecord({ label: 'b' }, { epoch: T0 + 1 })];
    expect(toDocuments(records).map((document) => [document.id, document.label])).toEqual([
      [`telemetry/gas-1#${T0}`, 'a'],
      [`telemetry/gas-1#${T0 + 1}`, 'b'],
    ]);
  });
});
