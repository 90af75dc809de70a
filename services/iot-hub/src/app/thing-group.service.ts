import type { CreateThingGroupRequest, ThingGroup } from '@citus/contracts';
import { AppError, badRequest, conflict, notFound, type Logger } from '@citus/kit';
import type { ThingDirectory } from '../domain/device-session.model.js';
import type { DeviceAttributes, ThingAttributes } from '../domain/groups/device-attributes.port.js';
import type { QueryNode } from '../domain/groups/fleet-query.ast.js';
import { FleetQueryError } from '../domain/groups/fleet-query.error.js';
import { matchesQuery, needsOf, type QueryNeeds, type ThingFacts } from '../domain/groups/fleet-query.evaluator.js';
import { parseFleetQuery } from '../domain/groups/fleet-query.parser.js';
import type { StoredThingGroup, ThingGroupRepository } from '../domain/groups/thing-group.model.js';
import { CLASSIC_SHADOW, type ShadowRepository } from '../domain/shadow/shadow.model.js';
import type { PresenceService } from './presence.service.js';

export interface ThingGroupServiceDeps {
  repository: ThingGroupRepository;
  /** Which workspace a thing belongs to, and (for dynamic groups) every thing of a workspace. */
  things: ThingDirectory;
  /**
   * Committed shadows: what a device or caller was told was accepted is committed, so a dynamic
   * group sees every acknowledged update (the writer thread commits before it replies).
   */
  shadows: Pick<ShadowRepository, 'load'>;
  connectivity: Pick<PresenceService, 'connectivityIn'>;
  /**
   * The registry's metadata of devices, for queries naming `attributes.*`. Without it (a hub made
   * for a test) such a query is still saved, as it is valid, but evaluating it answers 503, as a
   * directory without `thingsOf` makes every dynamic group do: never a group that looks empty.
   */
  attributes?: DeviceAttributes;
  logger: Logger;
  now?: () => Date;
}

/**
 * Thing groups of each workspace (AWS IoT static and dynamic thing groups): a static group lists
 * things of its workspace; a dynamic group's things are those its fleet indexing query matches,
 * evaluated over the registry's things, their metadata, classic shadows and connectivity when asked.
 */
export class ThingGroupService {
  private readonly repository: ThingGroupRepository;
  private readonly logger: Logger;
  private readonly now: () => Date;

  constructor(private readonly deps: ThingGroupServiceDeps) {
    this.repository = deps.repository;
    this.logger = deps.logger;
    this.now = deps.now ?? (() => new Date());
  }

  /** Refuses a query the hub cannot evaluate with a 400 naming the position; a duplicate name with a 409. */
  create(workspaceId: string, request: CreateThingGroupRequest): ThingGroup {
    if (request.queryString !== undefined) checkQuery(request.queryString);
    const group: StoredThingGroup = {
      workspaceId,
      name: request.groupName,
      description: request.description ?? '',
      ...(request.queryString === undefined ? {} : { queryString: request.queryString }),
      createdAt: this.now().toISOString(),
    };
    if (!this.repository.insert(group)) throw conflict(`thing group ${request.groupName} exists`);
    this.logger.info({ workspaceId, group: group.name, groupType: typeOf(group) }, 'thing group created');
    return viewOf(group);
  }

  list(workspaceId: string): ThingGroup[] {
    return this.repository.list(workspaceId).map(viewOf);
  }

  get(workspaceId: string, groupName: string): ThingGroup {
    return viewOf(this.stored(workspaceId, groupName));
  }

  delete(workspaceId: string, groupName: string): void {
    if (!this.repository.delete(workspaceId, groupName)) throw notFound('thing group');
    this.logger.info({ workspaceId, group: groupName }, 'thing group deleted');
  }

  /** Makes a thing of the workspace a member of a static group; a member already stays one. */
  addThing(workspaceId: string, groupName: string, thingName: string): void {
    this.staticGroup(workspaceId, groupName);
    if (this.deps.things.workspaceOfThing(thingName) !== workspaceId) throw notFound('thing');
    this.repository.addMember(workspaceId, groupName, thingName, this.now().toISOString());
    this.logger.info({ workspaceId, group: groupName, thingName }, 'thing added to its group');
  }

  /** Takes a thing out of a static group; one that was not a member changes nothing. */
  removeThing(workspaceId: string, groupName: string, thingName: string): void {
    this.staticGroup(workspaceId, groupName);
    if (this.deps.things.workspaceOfThing(thingName) !== workspaceId) throw notFound('thing');
    if (this.repository.removeMember(workspaceId, groupName, thingName)) this.logger.info({ workspaceId, group: groupName, thingName }, 'thing removed from its group');
  }

  /** A static group's members, or the things a dynamic group's query matches now; by name. */
  async members(workspaceId: string, groupName: string): Promise<string[]> {
    const group = this.stored(workspaceId, groupName);
    if (group.queryString === undefined) {
      // A member deleted from the registry in a moment its thing.deleted has not reached yet is left out.
      return this.repository.members(workspaceId, groupName).filter((thingName) => this.deps.things.workspaceOfThing(thingName) === workspaceId);
    }
    return this.evaluate(workspaceId, group.name, group.queryString);
  }

  /** The things of a group, for the targets of a job; throws kit's notFound for no such group. */
  async resolveTargets(workspaceId: string, groupName: string): Promise<string[]> {
    return this.members(workspaceId, groupName);
  }

  /** A deleted thing leaves the workspace's static groups. */
  forgetThing(workspaceId: string, thingName: string): number {
    return this.repository.forgetThing(workspaceId, thingName);
  }

  private stored(workspaceId: string, groupName: string): StoredThingGroup {
    const group = this.repository.get(workspaceId, groupName);
    if (!group) throw notFound('thing group');
    return group;
  }

  private staticGroup(workspaceId: string, groupName: string): void {
    if (this.stored(workspaceId, groupName).queryString !== undefined) {
      throw conflict(`${groupName} is a dynamic thing group: its query decides its things, which cannot be added or removed`);
    }
  }

  private async evaluate(workspaceId: string, groupName: string, queryString: string): Promise<string[]> {
    const query = this.storedQuery(workspaceId, groupName, queryString);
    const listed = this.deps.things.thingsOf?.(workspaceId);
    if (!listed) throw new AppError('unavailable', 'this hub cannot list the registry\'s things, so it cannot evaluate dynamic thing groups');
    const thingNames = listed.sort();
    const needs = needsOf(query);
    // Asked first, as it may be another process: the hub's own stores are then read at one moment.
    const attributes = needs.attributes ? await this.attributesOf(workspaceId, groupName, thingNames) : new Map<string, ThingAttributes>();
    const connected = needs.connectivity ? this.deps.connectivity.connectivityIn(workspaceId, thingNames) : new Map<string, { connected: boolean }>();
    return thingNames.filter((thingName) => {
      return matchesQuery(query, this.factsOf(workspaceId, thingName, needs, connected.get(thingName)?.connected ?? false, attributes.get(thingName)));
    });
  }

  /** Scoped by workspace at the registry, which leaves out any name that is not one of the workspace's things. */
  private async attributesOf(workspaceId: string, groupName: string, thingNames: readonly string[]): Promise<ReadonlyMap<string, ThingAttributes>> {
    if (!this.deps.attributes) {
      throw new AppError('unavailable', `this hub cannot read the registry's device attributes, so it cannot evaluate thing group ${groupName}, whose query names attributes.*`);
    }
    return this.deps.attributes.attributesOf(workspaceId, thingNames);
  }

  /** A saved query parses (it was checked when saved) unless an older hub reads what a newer one saved. */
  private storedQuery(workspaceId: string, groupName: string, queryString: string): QueryNode {
    try {
      return parseFleetQuery(queryString);
    } catch (error) {
      if (!(error instanceof FleetQueryError)) throw error;
      this.logger.error({ workspaceId, group: groupName, err: error }, 'a dynamic thing group\'s saved query no longer parses');
      throw new AppError('unavailable', `the query of thing group ${groupName} is not one this hub can evaluate: ${error.message}`);
    }
  }

  private factsOf(workspaceId: string, thingName: string, needs: QueryNeeds, connected: boolean, attributes: ThingAttributes | undefined): ThingFacts {
    const known: ThingFacts = { thingName, connected, ...(attributes ? { attributes } : {}) };
    if (!needs.shadow) return known;
    const state = this.deps.shadows.load({ workspaceId, thingName, shadowName: CLASSIC_SHADOW })?.content?.state;
    return { ...known, ...(state?.reported ? { reported: state.reported } : {}), ...(state?.desired ? { desired: state.desired } : {}) };
  }
}

/** Refuses with a 400 whose details give the problem and its position. */
function checkQuery(queryString: string): void {
  try {
    parseFleetQuery(queryString);
  } catch (error) {
    if (!(error instanceof FleetQueryError)) throw error;
    throw badRequest(`invalid queryString: ${error.message}`, [{ path: ['queryString'], message: error.problem, position: error.position }]);
  }
}

const typeOf = (group: StoredThingGroup) => (group.queryString === undefined ? ('static' as const) : ('dynamic' as const));

function viewOf(group: StoredThingGroup): ThingGroup {
  return {
    groupName: group.name,
    description: group.description,
    groupType: typeOf(group),
    ...(group.queryString === undefined ? {} : { queryString: group.queryString }),
    createdAt: group.createdAt,
  };
}
