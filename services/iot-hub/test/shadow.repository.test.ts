import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { SHADOW_MIGRATIONS, SqliteShadowRepository } from '../src/adapters/sqlite/shadow.repository.js';
import type { ShadowWrite } from '../src/domain/shadow/shadow.model.js';

const aWrite = (overrides: Partial<ShadowWrite> = {}): ShadowWrite => ({
  workspaceId: 'ws_a',
  thingName: 'lamp-1',
  shadowName: '',
  version: 1,
  content: { state: { reported: { on: true } }, metadata: { reported: { on: { timestamp: 1 } } } },
  updatedAt: 1_000,
  ...overrides,
});

describe('the SQLite shadow repository', () => {
  let dir: string;
  const handles: SqliteDatabase[] = [];
  const open = () => {
    const db = openDatabase(join(dir, 'shadows.db'), { module: 'shadows', migrations: SHADOW_MIGRATIONS });
    handles.push(db);
    return new SqliteShadowRepository(db);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-shadows-'));
  });
  afterEach(() => {
    for (const db of handles.splice(0)) if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps shadows across a reopen, keyed by workspace, thing and shadow name', () => {
    const repository = open();
    repository.write([
      aWrite(),
      aWrite({ shadowName: 'firmware', version: 4 }),
      aWrite({ workspaceId: 'ws_b', version: 9 }),
    ]);
    handles[0]?.close();
    const reopened = open();
    expect(reopened.load({ workspaceId: 'ws_a', thingName: 'lamp-1', shadowName: '' })).toEqual({ version: 1, content: aWrite().content });
    expect(reopened.load({ workspaceId: 'ws_a', thingName: 'lamp-1', shadowName: 'firmware' })?.version).toBe(4);
    expect(reopened.load({ workspaceId: 'ws_b', thingName: 'lamp-1', shadowName: '' })?.version).toBe(9);
    expect(reopened.load({ workspaceId: 'ws_c', thingName: 'lamp-1', shadowName: '' })).toBeUndefined();
  });

  it('lets the last write of a batch win and keeps the version of a deleted shadow', () => {
    const repository = open();
    repository.write([aWrite({ version: 1 }), aWrite({ version: 2 }), aWrite({ version: 2, content: undefined, updatedAt: 2_000 })]);
    expect(repository.load({ workspaceId: 'ws_a', thingName: 'lamp-1', shadowName: '' })).toEqual({ version: 2 });
    repository.write([aWrite({ version: 3 })]);
    expect(open().load({ workspaceId: 'ws_a', thingName: 'lamp-1', shadowName: '' })?.version).toBe(3);
  });

  it('writes nothing of a batch that fails', () => {
    const repository = open();
    repository.write([aWrite()]);
    const broken = aWrite({ version: 7, thingName: null as unknown as string });
    expect(() => repository.write([aWrite({ version: 2 }), broken])).toThrow();
    expect(repository.load({ workspaceId: 'ws_a', thingName: 'lamp-1', shadowName: '' })?.version).toBe(1);
  });
});
