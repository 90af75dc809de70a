import { openDatabase } from '@citus/sqlite';
import { SqliteShadowRepository } from '../sqlite/shadow.repository.js';
import type { ShadowWriterRequest } from './shadow-writer.protocol.js';
import { serveWriterCalls, writerFile } from './writer-thread.serve.js';

/**
 * The only writer of `shadows.db`, on a thread of its own: each commit's fsync (0.2-0.7 ms here)
 * no longer blocks the broker's event loop, which topic rules' shadow actions would otherwise
 * hold up hundreds of times a second.
 */
const db = openDatabase(writerFile(), { module: 'shadow-writer', migrations: [] });
const repository = new SqliteShadowRepository(db);
serveWriterCalls({
  handle: async (request: ShadowWriterRequest): Promise<number> => {
    if (request.op === 'deleteThing') return repository.deleteThing(request.workspaceId, request.thingName);
    await repository.write(request.writes);
    return 0;
  },
  close: () => db.close(),
});
