import { Router } from 'express';
import { DockerHubPushPayload, WebhookPathParams } from '@citus/contracts';
import { notFound, parse, requestId, type Logger } from '@citus/kit';
import type { ContinuousDeliveryService } from '../../app/continuous-delivery.service.js';

/**
 * `POST /hooks/apps/{hookId}/{secret}`, mounted at the root and open to anyone: Docker Hub sends no
 * credentials, so the secret in the path is the only one (the HTTP log leaves it out, and so does
 * this module's). The secret is checked before the body, so a wrong one learns nothing from validation.
 */
export function webhookRoutes(delivery: ContinuousDeliveryService, logger: Logger): Router {
  const log = logger.child({ module: 'app-webhook' });
  const router = Router();
  router.post('/hooks/apps/:hookId/:secret', async (req, res) => {
    const params = WebhookPathParams.safeParse(req.params);
    if (!params.success) throw notFound('webhook');
    const hook = await delivery.webhook(params.data.hookId, params.data.secret);
    const answer = await delivery.receive(hook, parse(DockerHubPushPayload, req.body));
    log.info(
      { reqId: requestId(req as { id?: unknown }), hookId: hook.hookId, appId: answer.appId, version: answer.version, status: answer.status, redeployments: answer.redeployments },
      'webhook push received',
    );
    res.status(202).json(answer);
  });
  return router;
}
