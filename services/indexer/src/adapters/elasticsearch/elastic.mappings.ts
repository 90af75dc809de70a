import type { estypes } from '@elastic/elasticsearch';

/** The two indices of one deployment; `prefix` lets several deployments share a cluster. */
export interface IndexNames {
  telemetry: string;
  devices: string;
}

export const indexNames = (prefix: string): IndexNames => ({ telemetry: `${prefix}-telemetry`, devices: `${prefix}-devices` });

/**
 * Lower-cased and ASCII-folded words, so `Dóor` finds `door` as it does in the embedded FTS5
 * index (unicode61 with remove_diacritics).
 */
const SETTINGS: estypes.IndicesIndexSettings = {
  analysis: { analyzer: { folded: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding'] } } },
};

const searchable: estypes.MappingProperty = { type: 'text', analyzer: 'folded', fields: { raw: { type: 'keyword', ignore_above: 256 } } };
const keyword: estypes.MappingProperty = { type: 'keyword' };

/**
 * `key` is unique within a workspace across both indices (`telemetry#<id>`, `device#<thing>`): the
 * tie-break of the sort, so `search_after` pages never skip or repeat a hit with an equal score.
 * `dynamic: strict` rejects a field the adapter does not write instead of growing the mapping.
 */
export const TELEMETRY_MAPPINGS: estypes.MappingTypeMapping = {
  dynamic: 'strict',
  properties: {
    key: keyword,
    workspaceId: keyword,
    thingName: keyword,
    topic: keyword,
    epoch: { type: 'date', format: 'epoch_millis' },
    label: searchable,
    unit: searchable,
    value: { type: 'double' },
    text: { type: 'text', analyzer: 'folded' },
  },
};

export const DEVICE_MAPPINGS: estypes.MappingTypeMapping = {
  dynamic: 'strict',
  properties: {
    key: keyword,
    workspaceId: keyword,
    thingName: keyword,
    name: searchable,
    type: searchable,
    location: searchable,
    text: { type: 'text', analyzer: 'folded' },
  },
};

/** Index templates, so an index re-created by hand (or by a write after a delete) gets the same mappings. */
export function indexTemplates(names: IndexNames): estypes.IndicesPutIndexTemplateRequest[] {
  return [
    { name: names.telemetry, index_patterns: [names.telemetry], priority: 100, template: { settings: SETTINGS, mappings: TELEMETRY_MAPPINGS } },
    { name: names.devices, index_patterns: [names.devices], priority: 100, template: { settings: SETTINGS, mappings: DEVICE_MAPPINGS } },
  ];
}
