import { join } from 'node:path';
import type { Logger, ServiceContext } from '@citus/kit';
import { openDatabase } from '@citus/sqlite';
import { thingGroupRoutes } from './adapters/http/thing-group.routes.js';
import { SqliteThingGroupRepository, THING_GROUP_MIGRATIONS } from './adapters/sqlite/thing-group.repository.js';
import type { PresenceService } from './app/presence.service.js';
import { ThingGroupService } from './app/thing-group.service.js';
import type { ThingDirectory } from './domain/device-session.model.js';
import type { DeviceAttributes } from './domain/groups/device-attributes.port.js';
import type { ShadowRepository } from './domain/shadow/shadow.model.js';

export interface GroupsModuleContext extends ServiceContext {
  things: ThingDirectory;
  /** The shadow store (committed shadows), read by dynamic groups' queries. */
  shadows: Pick<ShadowRepository, 'load'>;
  presence: Pick<PresenceService, 'connectivityIn'>;
  /** The registry's metadata of devices, for queries naming `attributes.*`; without it they answer 503. */
  deviceAttributes?: DeviceAttributes;
  logger: Logger;
}

/**
 * Thing groups, static and dynamic, in `groups.db`: what an update job can target as "every thing
 * in group X". Dynamic groups keep no members: their query is evaluated each time it is asked.
 */
export function createGroupsModule(ctx: GroupsModuleContext) {
  const db = openDatabase(join(ctx.dataDir, 'groups.db'), { module: 'groups', migrations: THING_GROUP_MIGRATIONS });
  const service = new ThingGroupService({
    repository: new SqliteThingGroupRepository(db),
    things: ctx.things,
    shadows: ctx.shadows,
    connectivity: ctx.presence,
    ...(ctx.deviceAttributes ? { attributes: ctx.deviceAttributes } : {}),
    logger: ctx.logger.child({ component: 'groups' }),
  });
  ctx.shutdown.add('group store', () => {
    db.close();
  });
  return {
    /** For the jobs code's `targetGroups`: `resolveTargets(workspaceId, groupName)`. */
    service,
    routes: thingGroupRoutes(service, ctx.authenticate),
  };
}
