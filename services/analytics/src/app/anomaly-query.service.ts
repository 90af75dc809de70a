import { z } from 'zod';
import type { AnomalyPage, AnomalyQuery } from '@citus/contracts';
import { badRequest } from '@citus/kit';
import type { DetectionStore } from '../domain/detection-store.port.js';

const Cursor = z.object({ epoch: z.number().int(), id: z.string().min(1).max(64) });

const encodeCursor = (after: z.infer<typeof Cursor>): string => Buffer.from(JSON.stringify(after)).toString('base64url');

function decodeCursor(next: string): z.infer<typeof Cursor> {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(next, 'base64url').toString('utf8')));
  } catch {
    throw badRequest('invalid next cursor');
  }
}

/** Reads of the workspace's anomalies, newest first, a page at a time. */
export class AnomalyQueryService {
  constructor(private readonly store: DetectionStore) {}

  list(workspaceId: string, query: AnomalyQuery): AnomalyPage {
    // One row more than asked tells whether a next page exists.
    const rows = this.store.listAnomalies(workspaceId, {
      ...(query.thingName === undefined ? {} : { thingName: query.thingName }),
      ...(query.field === undefined ? {} : { field: query.field }),
      ...(query.from === undefined ? {} : { from: query.from }),
      ...(query.to === undefined ? {} : { to: query.to }),
      ...(query.next === undefined ? {} : { after: decodeCursor(query.next) }),
      limit: query.limit + 1,
    });
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    return rows.length > query.limit && last ? { items, next: encodeCursor({ epoch: last.epoch, id: last.id }) } : { items };
  }
}
