import { Router, type RequestHandler } from 'express';
import { ClaimCertificatePathParams, CreateProvisioningTemplateRequest, ProvisioningTemplatePathParams } from '@citus/contracts';
import { parse, workspaceOf } from '@citus/kit';
import type { ProvisioningService } from '../../app/provisioning.service.js';

/**
 * Fleet provisioning templates and claim certificates under `/api/v1`. Reads need the user role,
 * changes the workspace admin role, checked before the request is parsed so a plain user learns
 * nothing; a template of another workspace answers 404.
 */
export function provisioningRoutes(
  service: ProvisioningService,
  authenticate: RequestHandler,
  onClaimsRevoked: (certificateIds: string[]) => void,
): Router {
  const router = Router();
  router.use('/provisioning-templates', authenticate);

  router.post('/provisioning-templates', (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    res.status(201).json(service.createTemplate(workspace.id, parse(CreateProvisioningTemplateRequest, req.body)));
  });

  router.get('/provisioning-templates', (req, res) => {
    res.json({ items: service.listTemplates(workspaceOf(req, 'user').id) });
  });

  router.get('/provisioning-templates/:name', (req, res) => {
    const workspace = workspaceOf(req, 'user');
    res.json(service.getTemplate(workspace.id, parse(ProvisioningTemplatePathParams, req.params).name));
  });

  router.delete('/provisioning-templates/:name', (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    onClaimsRevoked(service.deleteTemplate(workspace.id, parse(ProvisioningTemplatePathParams, req.params).name));
    res.status(204).end();
  });

  // The private key is in this answer only: no cache may keep it.
  router.post('/provisioning-templates/:name/claim-certificates', async (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    const issued = await service.createClaimCertificate(workspace.id, parse(ProvisioningTemplatePathParams, req.params).name);
    res.status(201).set('cache-control', 'no-store').json(issued);
  });

  router.post('/provisioning-templates/:name/claim-certificates/:certificateId/revoke', (req, res) => {
    const workspace = workspaceOf(req, 'admin');
    const { name, certificateId } = parse(ClaimCertificatePathParams, req.params);
    const revoked = service.revokeClaimCertificate(workspace.id, name, certificateId);
    onClaimsRevoked([revoked.certificateId]);
    res.json(revoked);
  });

  return router;
}
