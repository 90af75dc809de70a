import type { Logger } from '@citus/kit';
import type { ThingDirectory } from '../domain/device-session.model.js';
import type { ReleaseLinks } from '../domain/jobs/release-links.port.js';
import type { MessagePublisher, OutboundMessage } from '../domain/message-publisher.port.js';

/** `${citus:release-download:rel_…}` in a job document: a download link made for the thing that receives it. */
const PLACEHOLDER = /\$\{citus:release-download:(rel_[0-9a-f]{24})\}/g;
/** The topics on which a thing receives job documents: notify-next and the accepted replies. */
const JOBS_TOPIC = /^\$aws\/things\/([^/]+)\/jobs\//;
/** As AWS's presigned URLs for jobs at most: a device that starts later asks for the job again and gets a new link. */
const LINK_SECONDS = 3600;

type Payload = Record<string, unknown>;

/**
 * Resolves the placeholders of job documents as they are sent, for the receiving thing only: a
 * link in a document is good for that device, and for an hour. The stored document keeps its
 * placeholders, so every delivery gets a fresh link. A placeholder that cannot be resolved (no such
 * release, not ready, no release service in reach) stays as it is and is logged: the device then
 * fails the job with the reason.
 */
export class JobDocumentRenderer {
  constructor(
    private readonly links: ReleaseLinks | undefined,
    private readonly things: ThingDirectory,
    private readonly logger: Logger,
  ) {}

  /** The publisher jobs send through: job documents in messages to a thing are rendered for it. */
  wrap(publisher: MessagePublisher): MessagePublisher {
    return { publish: async (message) => publisher.publish(await this.render(message)) };
  }

  async render(message: OutboundMessage): Promise<OutboundMessage> {
    const thingName = JOBS_TOPIC.exec(message.topic)?.[1];
    const payload = message.payload;
    if (!thingName || typeof payload !== 'object' || payload === null || Buffer.isBuffer(payload)) return message;
    const execution = (payload as Payload).execution;
    if (typeof execution === 'object' && execution !== null && 'jobDocument' in execution) {
      const jobDocument = await this.renderDocument(thingName, (execution as Payload).jobDocument);
      return { ...message, payload: { ...payload, execution: { ...execution, jobDocument } } };
    }
    if ('jobDocument' in payload) return { ...message, payload: { ...payload, jobDocument: await this.renderDocument(thingName, (payload as Payload).jobDocument) } };
    return message;
  }

  private async renderDocument(thingName: string, document: unknown): Promise<unknown> {
    const text = JSON.stringify(document);
    const releases = new Set([...text.matchAll(PLACEHOLDER)].map((match) => match[1] as string));
    if (releases.size === 0) return document;
    const workspaceId = this.things.workspaceOfThing(thingName);
    if (!this.links || !workspaceId) {
      for (const releaseId of releases) this.logger.warn({ thingName, releaseId }, 'job document names a release, but no release service is in reach: sent as it is');
      return document;
    }
    const links = new Map<string, string>();
    for (const releaseId of releases) {
      try {
        links.set(releaseId, await this.links.linkFor(workspaceId, releaseId, thingName, LINK_SECONDS));
      } catch (error) {
        this.logger.warn({ thingName, releaseId, err: error }, 'no download link for a release named in a job document: sent as it is');
      }
    }
    if (links.size === 0) return document;
    // A link is a path of URL-safe characters: it replaces the placeholder inside its JSON string as it is.
    return JSON.parse(text.replace(PLACEHOLDER, (placeholder, releaseId: string) => links.get(releaseId) ?? placeholder)) as unknown;
  }
}
