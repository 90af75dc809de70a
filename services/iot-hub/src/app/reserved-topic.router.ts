import type { Requester } from '../domain/device-session.model.js';

/** A device's publish to an AWS IoT reserved topic (`$aws/...`), which the hub answers itself. */
export interface ReservedRequest {
  session: Requester;
  topic: string;
  /** The `{name}` segments of the handler's topic template, by name. */
  params: Record<string, string>;
  payload: Buffer;
}

/**
 * One handler per request topic. `topic` is a template: `{name}` matches one topic level, and a
 * last segment `{name+}` matches one or more. The handler answers on the reply topics itself
 * (through a `MessagePublisher`), including every rejection; it throws only on a fault of the hub.
 */
export interface ReservedTopicHandler {
  topic: string;
  handle(request: ReservedRequest): Promise<void>;
}

interface CompiledRoute {
  handler: ReservedTopicHandler;
  segments: string[];
}

const PARAM = /^\{([A-Za-z][A-Za-z0-9]*)(\+?)\}$/;

/** Finds the handler of a reserved topic; the first registered template that matches wins. */
export class ReservedTopicRouter {
  private readonly routes: CompiledRoute[] = [];

  register(...handlers: ReservedTopicHandler[]): this {
    for (const handler of handlers) {
      const segments = handler.topic.split('/');
      segments.forEach((segment, index) => {
        const param = PARAM.exec(segment);
        if (param?.[2] && index !== segments.length - 1) throw new Error(`{${param[1]}+} must end the template: ${handler.topic}`);
      });
      this.routes.push({ handler, segments });
    }
    return this;
  }

  match(topic: string): { handler: ReservedTopicHandler; params: Record<string, string> } | undefined {
    const levels = topic.split('/');
    for (const route of this.routes) {
      const params = matchLevels(route.segments, levels);
      if (params) return { handler: route.handler, params };
    }
    return undefined;
  }
}

function matchLevels(segments: string[], levels: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let index = 0; index < segments.length; index += 1) {
    const segment = segments[index] as string;
    const level = levels[index];
    if (level === undefined) return undefined;
    const param = PARAM.exec(segment);
    if (!param) {
      if (segment !== level) return undefined;
      continue;
    }
    if (param[2]) {
      params[param[1] as string] = levels.slice(index).join('/');
      return params;
    }
    if (level === '') return undefined;
    params[param[1] as string] = level;
  }
  return levels.length === segments.length ? params : undefined;
}
