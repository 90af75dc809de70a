import { AppError } from '@citus/kit';
import { DEVICE_MAPPINGS, TELEMETRY_MAPPINGS } from '../src/adapters/elasticsearch/elastic.mappings.js';
import { ElasticSearchIndex } from '../src/adapters/elasticsearch/elastic.search-index.js';
import { SearchIndexError } from '../src/adapters/elasticsearch/search-index.errors.js';
import { created, failure, mockElastic } from './support/elastic-mock.js';
import { aDevice, aQuery, aTelemetryDocument, T0, THING, WORKSPACE } from './support/search-fixture.js';

// MOCKED: no Elasticsearch cluster runs here, and @elastic/elasticsearch-mock answers canned
// responses without searching, so the behavioural contract (support/search-index.contract.ts)
// cannot run against this adapter. These tests pin its requests (index names, mappings, bulk
// bodies, the workspace-filtered query) and how it maps responses back to the port's values.

function setup(options: { refresh?: boolean | 'wait_for' } = {}) {
  const { mock, client, requests, record } = mockElastic();
  const index = new ElasticSearchIndex({ client, prefix: 'citus', ...options });
  return { mock, requests, record, index };
}

const bulkItem = (id: string, status = 201, error?: { type: string; reason: string }) => ({
  index: { _index: 'citus-telemetry', _id: id, status, ...(error === undefined ? {} : { error }) },
});

describe('ElasticSearchIndex.ensureIndices (mocked)', () => {
  it('puts both index templates with their mappings and creates only the missing index', async () => {
    const { mock, requests, record, index } = setup();
    mock.add({ method: 'PUT', path: '/_index_template/:name' }, record(() => created));
    mock.add({ method: 'HEAD', path: '/citus-telemetry' }, record(() => ''));
    mock.add({ method: 'HEAD', path: '/citus-devices' }, record(() => failure(404)));
    mock.add({ method: 'PUT', path: '/citus-devices' }, record(() => created));
    await index.ensureIndices();
    expect(requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'PUT /_index_template/citus-telemetry',
      'PUT /_index_template/citus-devices',
      'HEAD /citus-telemetry',
      'HEAD /citus-devices',
      'PUT /citus-devices',
    ]);
    expect(requests[0]?.body).toMatchObject({ index_patterns: ['citus-telemetry'], template: { mappings: TELEMETRY_MAPPINGS } });
    expect(requests[1]?.body).toMatchObject({ index_patterns: ['citus-devices'], template: { mappings: DEVICE_MAPPINGS } });
    expect(TELEMETRY_MAPPINGS.properties).toMatchObject({ workspaceId: { type: 'keyword' }, epoch: { type: 'date', format: 'epoch_millis' } });
  });
});

describe('ElasticSearchIndex.ensureIndices races (mocked)', () => {
  const setupMissing = (createAnswer: () => unknown) => {
    const harness = setup();
    harness.mock.add({ method: 'PUT', path: '/_index_template/:name' }, harness.record(() => created));
    harness.mock.add({ method: 'HEAD', path: ['/citus-telemetry', '/citus-devices'] }, harness.record(() => failure(404)));
    harness.mock.add({ method: 'PUT', path: ['/citus-telemetry', '/citus-devices'] }, harness.record(createAnswer as () => never));
    return harness;
  };

  it('accepts an index another indexer created in between', async () => {
    const { requests, index } = setupMissing(() => failure(400, 'resource_already_exists_exception'));
    await index.ensureIndices();
    expect(requests.filter((request) => request.method === 'PUT' && !request.path.startsWith('/_index_template'))).toHaveLength(2);
  });

  it('rejects any other refusal to create an index, as not retryable', async () => {
    const { index } = setupMissing(() => failure(400, 'illegal_argument_exception'));
    await expect(index.ensureIndices()).rejects.toMatchObject({ name: 'SearchIndexError', retryable: false, status: 400 });
  });
});

describe('ElasticSearchIndex writes (mocked)', () => {
  it('bulk-indexes telemetry with workspace-scoped ids and the tie-break key', async () => {
    const { mock, requests, record, index } = setup();
    mock.add({ method: 'POST', path: '/_bulk' }, record(() => ({ errors: false, items: [bulkItem('a'), bulkItem('b')] })));
    const first = aTelemetryDocument();
    const second = aTelemetryDocument({ epoch: T0 + 1, label: undefined });
    await index.upsertTelemetry([first, second]);
    expect(requests).toEqual([
      {
        method: 'POST',
        path: '/_bulk',
        querystring: { refresh: 'false' },
        body: [
          { index: { _index: 'citus-telemetry', _id: `${WORKSPACE}#${first.id}` } },
          { ...first, key: `telemetry#${first.id}` },
          { index: { _index: 'citus-telemetry', _id: `${WORKSPACE}#${second.id}` } },
          { ...second, key: `telemetry#${second.id}` },
        ],
      },
    ]);
  });

  it('bulk-indexes devices by workspace and thing, with their free text, waiting for a refresh when asked', async () => {
    const { mock, requests, record, index } = setup({ refresh: 'wait_for' });
    mock.add({ method: 'POST', path: '/_bulk' }, record(() => ({ errors: false, items: [bulkItem('a')] })));
    await index.upsertDevices([aDevice()]);
    expect(requests[0]?.querystring).toEqual({ refresh: 'wait_for' });
    expect(requests[0]?.body).toEqual([
      { index: { _index: 'citus-devices', _id: `${WORKSPACE}#${THING}` } },
      { ...aDevice(), key: `device#${THING}`, text: `${THING} gas-sensor Kitchen` },
    ]);
  });

  it('sends nothing for an empty batch', async () => {
    const { requests, index } = setup();
    await index.upsertTelemetry([]);
    await index.upsertDevices([]);
    expect(requests).toEqual([]);
  });

  it('rejects a partial failure with the failed ids, retryable when the cluster only pushed back', async () => {
    const { mock, record, index } = setup();
    const docs = [aTelemetryDocument({ epoch: T0 }), aTelemetryDocument({ epoch: T0 + 1 }), aTelemetryDocument({ epoch: T0 + 2 })];
    const rejected = { type: 'es_rejected_execution_exception', reason: 'queue full' };
    mock.add({ method: 'POST', path: '/_bulk' }, record(() => ({ errors: true, items: [bulkItem('a', 429, rejected), bulkItem('b'), bulkItem('c', 503, rejected)] })));
    const error = await index.upsertTelemetry(docs).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SearchIndexError);
    expect(error).toMatchObject({ retryable: true, failedIds: [docs[0]?.id, docs[2]?.id] });
    expect((error as Error).message).toContain('2 of 3 documents were not indexed');
  });

  it('marks a batch with a refused document as not retryable', async () => {
    const { mock, record, index } = setup();
    const docs = [aTelemetryDocument({ epoch: T0 }), aTelemetryDocument({ epoch: T0 + 1 })];
    mock.add(
      { method: 'POST', path: '/_bulk' },
      record(() => ({ errors: true, items: [bulkItem('a', 429, { type: 'rejected', reason: 'busy' }), bulkItem('b', 400, { type: 'document_parsing_exception', reason: 'bad value' })] })),
    );
    await expect(index.upsertTelemetry(docs)).rejects.toMatchObject({ retryable: false, failedIds: [docs[0]?.id, docs[1]?.id] });
  });

  it.each([
    [503, true],
    [429, true],
    [400, false],
  ])('turns a %i answer to the whole request into a SearchIndexError (retryable: %p)', async (status, retryable) => {
    const { mock, record, index } = setup();
    mock.add({ method: 'POST', path: '/_bulk' }, record(() => failure(status)));
    await expect(index.upsertDevices([aDevice()])).rejects.toMatchObject({ name: 'SearchIndexError', retryable, status });
  });

  it('deletes a device by its workspace-scoped id and accepts one already gone', async () => {
    const { mock, requests, record, index } = setup();
    mock.add({ method: 'DELETE', path: '/citus-devices/_doc/:id' }, record(() => failure(404)));
    await index.removeDevice(WORKSPACE, THING);
    expect(requests).toEqual([{ method: 'DELETE', path: `/citus-devices/_doc/${WORKSPACE}#${THING}`, querystring: { refresh: 'false' }, body: null }]);
  });
});

describe('ElasticSearchIndex.search (mocked)', () => {
  const telemetryHit = (epoch: number, score: number) => {
    const doc = aTelemetryDocument({ epoch, unit: undefined });
    return { _index: 'citus-telemetry', _id: `${WORKSPACE}#${doc.id}`, _score: score, _source: { ...doc, key: `telemetry#${doc.id}` }, sort: [score, `telemetry#${doc.id}`] };
  };
  const deviceHit = { _index: 'citus-devices', _id: `${WORKSPACE}#${THING}`, _score: 9.5, _source: { ...aDevice({ location: undefined }), key: `device#${THING}`, text: THING }, sort: [9.5, `device#${THING}`] };

  it('always filters on the workspace and asks one hit more than the page', async () => {
    const { mock, requests, record, index } = setup();
    mock.add({ method: 'POST', path: '/:index/_search' }, record(() => ({ hits: { hits: [] } })));
    expect(await index.search(WORKSPACE, aQuery('gas leakage', { limit: 5 }))).toEqual({ items: [] });
    expect(requests).toEqual([
      {
        method: 'POST',
        // The mock hands over the path decoded.
        path: '/citus-telemetry,citus-devices/_search',
        querystring: {},
        body: {
          query: {
            bool: {
              filter: [{ term: { workspaceId: WORKSPACE } }],
              must: { multi_match: { query: 'gas leakage', fields: ['name^4', 'label^2', 'unit^2', 'text'], type: 'cross_fields', operator: 'and' } },
            },
          },
          sort: [{ _score: { order: 'desc' } }, { key: { order: 'asc' } }],
          size: 6,
          track_total_hits: false,
        },
      },
    ]);
  });

  it('narrows by kind (the index), thing name and an inclusive epoch range', async () => {
    const { mock, requests, record, index } = setup();
    mock.add({ method: 'POST', path: '/:index/_search' }, record(() => ({ hits: { hits: [] } })));
    await index.search(WORKSPACE, aQuery('ppm', { kind: 'telemetry', thingName: THING, from: T0, to: T0 + 10 }));
    await index.search(WORKSPACE, aQuery('ppm', { kind: 'device', to: T0 }));
    expect(requests.map((request) => request.path)).toEqual(['/citus-telemetry/_search', '/citus-devices/_search']);
    expect(requests[0]?.body).toMatchObject({
      query: { bool: { filter: [{ term: { workspaceId: WORKSPACE } }, { term: { thingName: THING } }, { range: { epoch: { gte: T0, lte: T0 + 10 } } }] } },
    });
    expect(requests[1]?.body).toMatchObject({ query: { bool: { filter: [{ term: { workspaceId: WORKSPACE } }, { range: { epoch: { lte: T0 } } }] } } });
  });

  it('maps hits back to the port, telemetry without its text, and pages with search_after', async () => {
    const { mock, requests, record, index } = setup();
    const hits = [deviceHit, telemetryHit(T0, 3.25), telemetryHit(T0 + 1, 1.5)];
    mock.add({ method: 'POST', path: '/:index/_search' }, record(() => ({ hits: { hits } })));
    const page = await index.search(WORKSPACE, aQuery('kitchen', { limit: 2 }));
    const { text: _text, unit: _unit, ...telemetry } = aTelemetryDocument({ epoch: T0 });
    expect(page.items).toEqual([
      { kind: 'device', score: 9.5, device: { workspaceId: WORKSPACE, thingName: THING, name: 'Kitchen gas sensor', type: 'gas-sensor' } },
      { kind: 'telemetry', score: 3.25, telemetry },
    ]);
    expect(page.next).toEqual(expect.any(String));
    await index.search(WORKSPACE, aQuery('kitchen', { limit: 2, cursor: page.next as string }));
    expect(requests[1]?.body).toMatchObject({ search_after: [3.25, `telemetry#${telemetry.id}`], size: 3 });
  });

  it('gives no cursor on the last page', async () => {
    const { mock, record, index } = setup();
    mock.add({ method: 'POST', path: '/:index/_search' }, record(() => ({ hits: { hits: [deviceHit] } })));
    expect((await index.search(WORKSPACE, aQuery('kitchen', { limit: 2 }))).next).toBeUndefined();
  });

  it('asks nothing for text without a letter or digit, and rejects a foreign cursor', async () => {
    const { requests, index } = setup();
    expect(await index.search(WORKSPACE, aQuery('"*:^()-'))).toEqual({ items: [] });
    await expect(index.search(WORKSPACE, aQuery('kitchen', { cursor: 'nonsense' }))).rejects.toBeInstanceOf(AppError);
    await expect(index.search(WORKSPACE, aQuery('kitchen', { cursor: Buffer.from('[1,2]').toString('base64url') }))).rejects.toMatchObject({ code: 'bad_request' });
    expect(requests).toEqual([]);
  });

  it('reports a failed search as retryable when the cluster is unavailable', async () => {
    const { mock, record, index } = setup();
    mock.add({ method: 'POST', path: '/:index/_search' }, record(() => failure(503)));
    await expect(index.search(WORKSPACE, aQuery('kitchen'))).rejects.toMatchObject({ retryable: true, status: 503 });
  });
});
