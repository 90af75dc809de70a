import type { MarketplacePage, MarketplaceQuery } from '@citus/contracts';
import { badRequest } from '@citus/kit';
import type { AppRepository, MarketplaceSearch } from '../domain/app.model.js';
import { listingView } from './app.views.js';

type Position = NonNullable<MarketplaceSearch['after']>;

/** Opaque to clients: the last listing's name and id, so a page starts where the last ended even as apps come and go. */
const encodeCursor = (position: Position): string => Buffer.from(JSON.stringify([position.name, position.appId])).toString('base64url');

function decodeCursor(cursor: string): Position {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string')) {
      return { name: value[0] as string, appId: value[1] as string };
    }
  } catch {
    // Falls through to the one answer for every bad cursor.
  }
  throw badRequest('invalid cursor');
}

/** The marketplace (story 8): every workspace's published apps, shown to every signed-in user. */
export class MarketplaceService {
  constructor(private readonly repository: AppRepository) {}

  async search(query: MarketplaceQuery): Promise<MarketplacePage> {
    const found = await this.repository.marketplace({
      ...(query.q === undefined ? {} : { text: query.q }),
      ...(query.category === undefined ? {} : { category: query.category }),
      // One more than asked, to know whether a next page exists.
      limit: query.limit + 1,
      ...(query.cursor === undefined ? {} : { after: decodeCursor(query.cursor) }),
    });
    const page = found.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map(({ app, version }) => listingView(app, version)),
      ...(found.length > query.limit && last ? { next: encodeCursor({ name: last.app.name, appId: last.app.appId }) } : {}),
    };
  }
}
