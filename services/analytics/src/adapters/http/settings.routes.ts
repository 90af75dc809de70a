import { Router, type RequestHandler } from 'express';
import { AnomalySettings, SeriesKey, SeriesSettingsUpdate } from '@citus/contracts';
import { parse, workspaceOf } from '@citus/kit';
import type { DetectionSettingsService } from '../../app/detection-settings.service.js';

/**
 * Detection settings: members read them, developers and admins change them. A series is named in
 * the query (thing, stream, field: no secrets among them), since a field path may hold any character.
 */
export function settingsRoutes(settings: DetectionSettingsService, authenticate: RequestHandler): Router {
  const router = Router();
  router.use('/anomalies/settings', authenticate);

  router.get('/anomalies/settings', (req, res) => {
    const workspace = workspaceOf(req, 'user');
    const answer: AnomalySettings = settings.workspace(workspace.id);
    res.json(answer);
  });

  router.put('/anomalies/settings', (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    const answer: AnomalySettings = settings.setWorkspace(workspace.id, parse(AnomalySettings, req.body));
    res.json(answer);
  });

  router.get('/anomalies/settings/series', async (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.json(await settings.series(workspace.id, parse(SeriesKey, req.query)));
  });

  router.put('/anomalies/settings/series', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    const key = parse(SeriesKey, req.query);
    res.json(await settings.setSeries(workspace.id, key, parse(SeriesSettingsUpdate, req.body)));
  });

  router.delete('/anomalies/settings/series', async (req, res) => {
    const workspace = workspaceOf(req, 'developer');
    await settings.deleteSeries(workspace.id, parse(SeriesKey, req.query));
    res.status(204).end();
  });

  return router;
}
