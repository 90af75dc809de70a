import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@citus/kit';
import { openDatabase, type SqliteDatabase } from '@citus/sqlite';
import { SHADOW_MIGRATIONS, SqliteShadowRepository } from '../src/adapters/sqlite/shadow.repository.js';
import { ThreadedShadowStore } from '../src/adapters/worker/threaded.shadow-store.js';
import type { ShadowRepository, ShadowWrite } from '../src/domain/shadow/shadow.model.js';

const aWrite = (overrides: Partial<ShadowWrite> = {}): ShadowWrite => ({
  workspaceId: 'ws_a',
  thingName: 'lamp-1',
  shadowName: '',
  version: 1,
  content: { state: { reported: { on: true } }, metadata: { reported: { on: { timestamp: 1 } } } },
  updatedAt: 1_000,
  ...overrides,
});
const CLASSIC = { workspaceId: 'ws_a', thingName: 'lamp-1', shadowName: '' };

interface Opened {
  repository: ShadowRepository;
  close(): Promise<void>;
}

/** One contract, both adapters: on the caller's thread, and written on a thread of its own (the hub's; it runs the built `dist/`). */
const ADAPTERS: Array<[string, (file: string, db: SqliteDatabase) => Promise<Opened>]> = [
  ['SQLite on this thread', async (_file, db) => ({ repository: new SqliteShadowRepository(db), close: async () => undefined })],
  [
    'SQLite written on the writer thread',
    async (file, db) => {
      const store = new ThreadedShadowStore(file, new SqliteShadowRepository(db), createLogger({ level: 'silent' }));
      await store.start();
      return { repository: store, close: () => store.stop() };
    },
  ],
];

describe.each(ADAPTERS)('the shadow repository (%s, a real SQLite file)', (_name, make) => {
  let dir: string;
  const handles: Array<{ db: SqliteDatabase; opened: Opened }> = [];
  const open = async (): Promise<ShadowRepository> => {
    const file = join(dir, 'shadows.db');
    const db = openDatabase(file, { module: 'shadows', migrations: SHADOW_MIGRATIONS });
    const opened = await make(file, db);
    handles.push({ db, opened });
    return opened.repository;
  };
  const closeAll = async () => {
    for (const { db, opened } of handles.splice(0)) {
      await opened.close();
      if (db.open) db.close();
    }
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citus-shadows-'));
  });
  afterEach(async () => {
    await closeAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps shadows across a reopen, keyed by workspace, thing and shadow name', async () => {
    const repository = await open();
    await repository.write([aWrite(), aWrite({ shadowName: 'firmware', version: 4 }), aWrite({ workspaceId: 'ws_b', version: 9 })]);
    await closeAll();
    const reopened = await open();
    expect(reopened.load(CLASSIC)).toEqual({ version: 1, content: aWrite().content });
    expect(reopened.load({ ...CLASSIC, shadowName: 'firmware' })?.version).toBe(4);
    expect(reopened.load({ ...CLASSIC, workspaceId: 'ws_b' })?.version).toBe(9);
    expect(reopened.load({ ...CLASSIC, workspaceId: 'ws_c' })).toBeUndefined();
  });

  it('lets the last write of a batch win and keeps the version of a deleted shadow', async () => {
    const repository = await open();
    await repository.write([aWrite({ version: 1 }), aWrite({ version: 2 }), aWrite({ version: 2, content: undefined, updatedAt: 2_000 })]);
    expect(repository.load(CLASSIC)).toEqual({ version: 2 });
    await repository.write([aWrite({ version: 3 })]);
    expect(repository.load(CLASSIC)?.version).toBe(3);
  });

  it('writes nothing of a batch that fails, and says why', async () => {
    const repository = await open();
    await repository.write([aWrite()]);
    const broken = aWrite({ version: 7, thingName: null as unknown as string });
    // better-sqlite3's error class comes from another realm than jest's: its message is checked, not its class.
    await expect(repository.write([aWrite({ version: 2 }), broken])).rejects.toHaveProperty('message', expect.stringMatching(/NOT NULL/));
    expect(repository.load(CLASSIC)?.version).toBe(1);
  });

  it("removes a thing's shadows after the writes asked for before, and only that thing's", async () => {
    const repository = await open();
    const writes = repository.write([aWrite(), aWrite({ shadowName: 'firmware' }), aWrite({ thingName: 'lamp-2' })]);
    const removed = repository.deleteThing('ws_a', 'lamp-1');
    await writes;
    await expect(removed).resolves.toBe(2);
    expect(repository.load(CLASSIC)).toBeUndefined();
    expect(repository.load({ ...CLASSIC, shadowName: 'firmware' })).toBeUndefined();
    expect(repository.load({ ...CLASSIC, thingName: 'lamp-2' })?.version).toBe(1);
  });
});
