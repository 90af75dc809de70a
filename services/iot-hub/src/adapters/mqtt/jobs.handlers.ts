import { TextDecoder } from 'node:util';
import type { z } from 'zod';
import {
  DescribeJobExecutionRequest,
  GetPendingJobExecutionsRequest,
  JobsClientToken,
  StartNextPendingJobExecutionRequest,
  UpdateJobExecutionRequest,
  type JobsRejectedResponse,
} from '@citus/contracts';
import type { Logger } from '@citus/kit';
import type { JobsOutcome, JobsService } from '../../app/jobs.service.js';
import type { ReservedRequest, ReservedTopicHandler } from '../../app/reserved-topic.router.js';
import type { JobsRejection } from '../../domain/jobs/jobs-rejection.js';
import type { MessagePublisher } from '../../domain/message-publisher.port.js';

const J = '$aws/things/{thingName}/jobs';
const utf8 = new TextDecoder('utf-8', { fatal: true });

type Parsed<T> = { request: T; clientToken?: string } | { rejection: JobsRejection; clientToken?: string };

/**
 * A request payload: UTF-8 JSON (InvalidJson otherwise), an object matching the schema
 * (InvalidRequest otherwise). An empty payload counts as `{}`. The client token is echoed even on
 * a rejection, when it is a valid one, so the SDK can match the reply.
 */
function parsePayload<S extends z.ZodType>(schema: S, payload: Buffer): Parsed<z.infer<S>> {
  let json: unknown;
  try {
    const text = utf8.decode(payload).trim();
    json = text === '' ? {} : JSON.parse(text);
  } catch {
    return { rejection: { code: 'InvalidJson', message: 'the payload is not UTF-8 encoded JSON' } };
  }
  const token = typeof json === 'object' && json !== null ? JobsClientToken.safeParse((json as { clientToken?: unknown }).clientToken) : undefined;
  const clientToken = token?.success ? token.data : undefined;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { rejection: { code: 'InvalidRequest', message: 'the payload must be a JSON object' } };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`);
    return { rejection: { code: 'InvalidRequest', message: issues.join('; ') }, clientToken };
  }
  return { request: parsed.data, clientToken };
}

/** Answers one request on `<topic>/accepted` or `<topic>/rejected`, then sends what it caused. */
class JobsReplies {
  constructor(
    private readonly jobs: JobsService,
    private readonly publisher: MessagePublisher,
    private readonly logger: Logger,
  ) {}

  async answer<S extends z.ZodType, T extends object>(
    request: ReservedRequest,
    schema: S,
    serve: (parsed: z.infer<S>) => Promise<JobsOutcome<T>>,
  ): Promise<void> {
    const parsed = parsePayload(schema, request.payload);
    if ('rejection' in parsed) return this.reject(request, parsed.rejection, parsed.clientToken);
    const outcome = await serve(parsed.request);
    const token = parsed.clientToken === undefined ? {} : { clientToken: parsed.clientToken };
    if ('rejected' in outcome.answer) await this.reject(request, outcome.answer.rejected, parsed.clientToken);
    else await this.send(request, `${request.topic}/accepted`, { ...outcome.answer.accepted, ...token });
    await this.jobs.publishAll(outcome.messages);
  }

  reject(request: ReservedRequest, why: JobsRejection, clientToken?: string): Promise<void> {
    const payload: JobsRejectedResponse = {
      code: why.code,
      message: why.message,
      ...(clientToken === undefined ? {} : { clientToken }),
      timestamp: this.jobs.seconds(),
      ...(why.executionState ? { executionState: why.executionState } : {}),
    };
    this.logger.debug({ thingName: request.params.thingName, topic: request.topic, code: why.code }, 'jobs request rejected');
    return this.send(request, `${request.topic}/rejected`, payload);
  }

  private send(request: ReservedRequest, topic: string, payload: object): Promise<void> {
    return this.publisher.publish({ topic, payload, requester: request.session.clientId });
  }
}

/**
 * The Jobs device API's request topics (AWS IoT Jobs device MQTT API), in the order the router
 * must try them: the catch-all for unknown topics under the thing's `jobs/` comes last.
 */
export function jobsHandlers(jobs: JobsService, publisher: MessagePublisher, logger: Logger): ReservedTopicHandler[] {
  const replies = new JobsReplies(jobs, publisher, logger.child({ module: 'jobs' }));
  const scope = (request: ReservedRequest) => [request.session.workspaceId, request.params.thingName as string] as const;
  return [
    {
      topic: `${J}/get`,
      handle: (request) => replies.answer(request, GetPendingJobExecutionsRequest, () => jobs.getPending(...scope(request))),
    },
    {
      topic: `${J}/start-next`,
      handle: (request) => replies.answer(request, StartNextPendingJobExecutionRequest, (parsed) => jobs.startNext(...scope(request), parsed)),
    },
    {
      topic: `${J}/{jobId}/get`,
      handle: (request) =>
        replies.answer(request, DescribeJobExecutionRequest, (parsed) => jobs.describe(...scope(request), request.params.jobId as string, parsed)),
    },
    {
      topic: `${J}/{jobId}/update`,
      handle: (request) =>
        replies.answer(request, UpdateJobExecutionRequest, (parsed) => jobs.update(...scope(request), request.params.jobId as string, parsed)),
    },
    {
      topic: `${J}/{rest+}`,
      handle: (request) => {
        // The token is echoed here too, so the SDK can match the rejection to its request.
        const { clientToken } = parsePayload(GetPendingJobExecutionsRequest, request.payload);
        return replies.reject(request, { code: 'InvalidTopic', message: `${request.topic} is no Jobs API topic` }, clientToken);
      },
    },
  ];
}
