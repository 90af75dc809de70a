import { Router, type RequestHandler } from 'express';
import { ActivationRequest, DeclareDeviceRequest, type Device, DeviceId, UpdateDeviceRequest } from '@citus/contracts';
import { parse, requireScope, workspaceOf } from '@citus/kit';
import type { DeviceService } from '../../app/device.service.js';
import type { ConnectivityDirectory } from '../../domain/device.model.js';

/** Devices (story 1), activation (story 2) and revocation under `/api/v1`. */
export function deviceRoutes(
  devices: DeviceService,
  authenticate: RequestHandler,
  caPem: string,
  connectivity?: ConnectivityDirectory,
): Router {
  const router = Router();
  /** A device as the registry answers it: with whether it is connected now. */
  const view = (device: Device): Device => ({
    ...device,
    connectivity: connectivity?.connectivityOf(device.thingName) ?? { connected: false },
  });

  router.get('/ca.pem', (_req, res) => {
    res.type('application/x-pem-file').send(caPem);
  });

  // The device has no account: the one-time code in the body is its credential.
  router.post('/devices/:id/activation', async (req, res) => {
    const id = parse(DeviceId, req.params.id);
    const response = await devices.activate(id, parse(ActivationRequest, req.body));
    res.set('cache-control', 'no-store').json(response);
  });

  router.use('/devices', authenticate);

  router.post('/devices', async (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.status(201).set('cache-control', 'no-store').json(await devices.declare(workspace.id, parse(DeclareDeviceRequest, req.body)));
  });

  router.get('/devices', requireScope('devices:read'), async (req, res) => {
    res.json({ items: (await devices.list(workspaceOf(req, 'user').id)).map(view) });
  });

  router.get('/devices/:id', requireScope('devices:read'), async (req, res) => {
    res.json(view(await devices.get(workspaceOf(req, 'user').id, parse(DeviceId, req.params.id))));
  });

  router.patch('/devices/:id', async (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.json(view(await devices.update(workspace.id, parse(DeviceId, req.params.id), parse(UpdateDeviceRequest, req.body))));
  });

  router.delete('/devices/:id', async (req, res) => {
    await devices.delete(workspaceOf(req, 'user').id, parse(DeviceId, req.params.id));
    res.status(204).end();
  });

  router.post('/devices/:id/activation-code', async (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.set('cache-control', 'no-store').json(await devices.renewActivationCode(workspace.id, parse(DeviceId, req.params.id)));
  });

  router.post('/devices/:id/revoke', async (req, res) => {
    res.json(await devices.revoke(workspaceOf(req, 'user').id, parse(DeviceId, req.params.id)));
  });

  return router;
}
