import { Router, type RequestHandler } from 'express';
import { ActivationRequest, DeclareDeviceRequest, type Device, type DeviceConnectivity, DeviceId, UpdateDeviceRequest } from '@citus/contracts';
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
  /** Devices as the registry answers them: with whether each is connected now, asked once for all. */
  const views = async (workspaceId: string, list: Device[]): Promise<Device[]> => {
    const names = list.map((device) => device.thingName);
    const known: ReadonlyMap<string, DeviceConnectivity> = connectivity && names.length > 0 ? await connectivity.connectivityIn(workspaceId, names) : new Map();
    return list.map((device) => ({ ...device, connectivity: known.get(device.thingName) ?? { connected: false } }));
  };
  const view = async (workspaceId: string, device: Device): Promise<Device> => (await views(workspaceId, [device]))[0] as Device;

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
    const workspaceId = workspaceOf(req, 'user').id;
    res.json({ items: await views(workspaceId, await devices.list(workspaceId)) });
  });

  router.get('/devices/:id', requireScope('devices:read'), async (req, res) => {
    const workspaceId = workspaceOf(req, 'user').id;
    res.json(await view(workspaceId, await devices.get(workspaceId, parse(DeviceId, req.params.id))));
  });

  router.patch('/devices/:id', async (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.json(await view(workspace.id, await devices.update(workspace.id, parse(DeviceId, req.params.id), parse(UpdateDeviceRequest, req.body))));
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
