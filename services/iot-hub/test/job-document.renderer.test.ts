import { createLogger } from '@citus/kit';
import { JobDocumentRenderer } from '../src/app/job-document.renderer.js';
import type { ReleaseLinks } from '../src/domain/jobs/release-links.port.js';

const REL = 'rel_0123456789abcdef01234567';
const PLACEHOLDER = `\${citus:release-download:${REL}}`;
const things = { workspaceOfThing: (thingName: string) => (thingName.startsWith('a-') ? 'ws_a' : undefined) };
const asked: string[] = [];
const links: ReleaseLinks = {
  linkFor: async (workspaceId, releaseId, thingName, expiresInSec) => {
    asked.push(`${workspaceId}/${releaseId}/${thingName}/${expiresInSec}`);
    return `/api/v1/release-downloads/token-for-${thingName}`;
  },
};
const renderer = new JobDocumentRenderer(links, things, createLogger({ level: 'silent' }));

describe('job documents rendered for the thing they are sent to (in-memory release links)', () => {
  beforeEach(() => asked.splice(0));

  it('resolves a release placeholder in notify-next, describe and update replies, for that thing, for an hour', async () => {
    const execution = { jobId: 'j', jobDocument: { release: { url: PLACEHOLDER, mirror: [PLACEHOLDER] } } };
    const next = await renderer.render({ topic: '$aws/things/a-1/jobs/notify-next', payload: { execution, timestamp: 1 } });
    expect(next.payload).toEqual({ execution: { jobId: 'j', jobDocument: { release: { url: '/api/v1/release-downloads/token-for-a-1', mirror: ['/api/v1/release-downloads/token-for-a-1'] } } }, timestamp: 1 });
    const updated = await renderer.render({ topic: '$aws/things/a-2/jobs/j/update/accepted', payload: { jobDocument: { url: PLACEHOLDER } } });
    expect(updated.payload).toEqual({ jobDocument: { url: '/api/v1/release-downloads/token-for-a-2' } });
    expect(asked).toEqual([`ws_a/${REL}/a-1/3600`, `ws_a/${REL}/a-2/3600`]);
    // The message it was given is left as it was: the stored document keeps its placeholder.
    expect(execution.jobDocument.release.url).toBe(PLACEHOLDER);
  });

  it('leaves alone other topics, documents without placeholders, bytes, and things of no workspace', async () => {
    const other = { topic: 'things/a-1/status', payload: { jobDocument: { url: PLACEHOLDER } } };
    expect(await renderer.render(other)).toBe(other);
    const plain = { topic: '$aws/things/a-1/jobs/notify-next', payload: { execution: { jobDocument: { op: 'reboot' } } } };
    expect((await renderer.render(plain)).payload).toEqual(plain.payload);
    const bytes = { topic: '$aws/things/a-1/jobs/x', payload: Buffer.from(PLACEHOLDER) };
    expect(await renderer.render(bytes)).toBe(bytes);
    const stranger = await renderer.render({ topic: '$aws/things/b-1/jobs/notify-next', payload: { execution: { jobDocument: { url: PLACEHOLDER } } } });
    expect(stranger.payload).toEqual({ execution: { jobDocument: { url: PLACEHOLDER } } });
    expect(asked).toEqual([]);
  });

  it('sends a placeholder it could not resolve as it is', async () => {
    const failing = new JobDocumentRenderer({ linkFor: () => Promise.reject(new Error('not ready')) }, things, createLogger({ level: 'silent' }));
    const message = await failing.render({ topic: '$aws/things/a-1/jobs/notify-next', payload: { execution: { jobDocument: { url: PLACEHOLDER } } } });
    expect(message.payload).toEqual({ execution: { jobDocument: { url: PLACEHOLDER } } });
    const none = new JobDocumentRenderer(undefined, things, createLogger({ level: 'silent' }));
    expect((await none.render({ topic: '$aws/things/a-1/jobs/j/update/accepted', payload: { jobDocument: { url: PLACEHOLDER } } })).payload).toEqual({ jobDocument: { url: PLACEHOLDER } });
  });
});
