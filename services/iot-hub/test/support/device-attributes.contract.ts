import type { DeclareDeviceRequest } from '@citus/contracts';
import { MAX_ATTRIBUTES_BATCH } from '@citus/contracts';
import type { DeviceAttributes } from '../../src/domain/groups/device-attributes.port.js';

/** One adapter of the port over a registry with two workspaces, and how to declare devices in them. */
export interface DeviceAttributesHarness {
  attributes: DeviceAttributes;
  workspaceIds: { mine: string; theirs: string };
  /** Declares a device in one of the two workspaces; answers its thing name. */
  declare(workspace: 'mine' | 'theirs', request: DeclareDeviceRequest): Promise<string>;
}

/** The rules every `DeviceAttributes` adapter keeps (see the port); run once per adapter. */
export function deviceAttributesContract(adapter: string, harness: () => DeviceAttributesHarness): void {
  describe(`${adapter} device attributes`, () => {
    it('answers what each device was declared with; an attribute declared without is absent', async () => {
      const { attributes, workspaceIds, declare } = harness();
      const full = await declare('mine', { name: 'Kitchen meter', type: 'meter', location: 'Kitchen', latitude: 52.37, longitude: -4.89 });
      const bare = await declare('mine', { name: 'Hall meter' });
      const found = await attributes.attributesOf(workspaceIds.mine, [full, bare]);
      expect(Object.fromEntries(found)).toEqual({
        [full]: { name: 'Kitchen meter', type: 'meter', location: 'Kitchen', latitude: 52.37, longitude: -4.89 },
        [bare]: { name: 'Hall meter' },
      });
    });

    it("leaves out another workspace's things and names of no thing", async () => {
      const { attributes, workspaceIds, declare } = harness();
      const mine = await declare('mine', { name: 'Mine', type: 'pump' });
      const theirs = await declare('theirs', { name: 'Theirs', type: 'pump' });
      expect([...(await attributes.attributesOf(workspaceIds.mine, [mine, theirs, 'no-such-thing'])).keys()]).toEqual([mine]);
      expect([...(await attributes.attributesOf(workspaceIds.theirs, [mine, theirs])).keys()]).toEqual([theirs]);
      expect((await attributes.attributesOf('ws_of_no_one', [mine, theirs])).size).toBe(0);
    });

    it('answers more names than one request of the internal API carries', async () => {
      const { attributes, workspaceIds, declare } = harness();
      const last = await declare('mine', { name: 'Last of many', location: 'Attic' });
      const names = [...Array.from({ length: MAX_ATTRIBUTES_BATCH + 20 }, (_, index) => `absent-${index}`), last];
      expect(Object.fromEntries(await attributes.attributesOf(workspaceIds.mine, names))).toEqual({ [last]: { name: 'Last of many', location: 'Attic' } });
      expect((await attributes.attributesOf(workspaceIds.mine, [])).size).toBe(0);
    });
  });
}
