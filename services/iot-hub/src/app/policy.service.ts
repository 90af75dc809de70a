import type { Policy, PolicyDocument, PolicySummary } from '@citus/contracts';
import { conflict, notFound, type Logger } from '@citus/kit';
import type { AccessDecider, IotAction } from '../domain/access.port.js';
import type { CertificateDirectory, Requester } from '../domain/device-session.model.js';
import { claimPolicy, DEFAULT_DEVICE_POLICY } from '../domain/policy/default-policies.js';
import { compilePolicies, PolicySet } from '../domain/policy/policy.evaluator.js';
import type { PolicyRepository, StoredPolicy } from '../domain/policy/policy.model.js';

/** Past this many cached certificates the oldest entry goes: a cache miss costs one indexed read. */
const MAX_CACHED_CERTIFICATES = 50_000;

export type PolicyChangeListener = (change: { workspaceId: string; certificateId: string }) => void;

const summaryOf = (policy: StoredPolicy): PolicySummary => ({
  policyName: policy.policyName,
  version: policy.version,
  createdAt: policy.createdAt,
  updatedAt: policy.updatedAt,
});

const viewOf = (policy: StoredPolicy): Policy => ({ ...summaryOf(policy), policyDocument: policy.document });

/**
 * Named AWS IoT policies of each workspace, their attachment to device certificates, and the
 * decisions the broker asks for on every connect, publish, subscribe and delivery.
 *
 * In force for a connection: the default device policy (or, for a claim certificate, the claim
 * policy of its template) plus every policy attached to its certificate. The merged set is
 * compiled once per certificate and cached until a policy it holds changes.
 */
export class PolicyService implements AccessDecider {
  private readonly defaultSet = compilePolicies([DEFAULT_DEVICE_POLICY]);
  private readonly claimSets = new Map<string, PolicySet>();
  /** By workspace and certificate: the set in force, and the base (default or claim) it was built on. */
  private readonly certificateSets = new Map<string, { base: PolicySet; set: PolicySet }>();
  private readonly listeners = new Set<PolicyChangeListener>();

  constructor(
    private readonly repository: PolicyRepository,
    private readonly certificates: CertificateDirectory,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Whether the connection may act: `resource` is its client id for `iot:Connect`, a topic name
   * for `iot:Publish`/`iot:Receive`, a topic filter for `iot:Subscribe`. Deny wins.
   */
  allows(requester: Requester, action: IotAction, resource: string): boolean {
    return this.policiesInForce(requester).allows(action, resource, requester);
  }

  /** Called with each certificate whose policies in force changed, so live sessions can be re-checked. */
  onChange(listener: PolicyChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  create(workspaceId: string, policyName: string, document: PolicyDocument): Policy {
    const at = this.now().toISOString();
    const policy: StoredPolicy = { workspaceId, policyName, document, version: 1, createdAt: at, updatedAt: at };
    if (!this.repository.create(policy)) throw conflict(`a policy named ${policyName} exists`);
    return viewOf(policy);
  }

  list(workspaceId: string): PolicySummary[] {
    return this.repository.list(workspaceId).map(summaryOf);
  }

  get(workspaceId: string, policyName: string): Policy {
    return viewOf(this.stored(workspaceId, policyName));
  }

  /** Replaces the document; the certificates it is attached to are held to the new one at once. */
  update(workspaceId: string, policyName: string, document: PolicyDocument): Policy {
    const updated = this.repository.replaceDocument(workspaceId, policyName, document, this.now().toISOString());
    if (!updated) throw notFound('policy');
    for (const certificateId of this.repository.targetsOf(workspaceId, policyName)) this.changed(workspaceId, certificateId);
    return viewOf(updated);
  }

  delete(workspaceId: string, policyName: string): void {
    const outcome = this.repository.delete(workspaceId, policyName);
    if (outcome === 'not-found') throw notFound('policy');
    if (outcome === 'attached') throw conflict(`policy ${policyName} is attached to certificates: detach it first`);
  }

  /** The certificate must be an active device certificate of the workspace. */
  attach(workspaceId: string, policyName: string, certificateId: string): void {
    this.stored(workspaceId, policyName);
    this.ownCertificate(workspaceId, certificateId);
    this.repository.attach(workspaceId, policyName, certificateId, this.now().toISOString());
    this.changed(workspaceId, certificateId);
  }

  /** Detaching what is not attached changes nothing; the policy must exist. */
  detach(workspaceId: string, policyName: string, certificateId: string): void {
    this.stored(workspaceId, policyName);
    if (this.repository.detach(workspaceId, policyName, certificateId)) this.changed(workspaceId, certificateId);
  }

  /** The policies attached to an active device certificate of the workspace. */
  attachedTo(workspaceId: string, certificateId: string): PolicySummary[] {
    this.ownCertificate(workspaceId, certificateId);
    return this.repository.attachedTo(workspaceId, certificateId).map(summaryOf);
  }

  private stored(workspaceId: string, policyName: string): StoredPolicy {
    const policy = this.repository.get(workspaceId, policyName);
    if (!policy) throw notFound('policy');
    return policy;
  }

  /** Another workspace's certificate is "not found", like one that does not exist. */
  private ownCertificate(workspaceId: string, certificateId: string): void {
    if (this.certificates.activeCertificate(certificateId)?.workspaceId !== workspaceId) throw notFound('certificate');
  }

  private policiesInForce(requester: Requester): PolicySet {
    const base = requester.claim ? this.claimSet(requester.claim.templateName) : this.defaultSet;
    const { certificateId } = requester;
    if (certificateId === undefined) return base;
    const key = `${requester.workspaceId}\u0000${certificateId}`;
    const cached = this.certificateSets.get(key);
    if (cached?.base === base) return cached.set;
    const attached = this.repository.attachedTo(requester.workspaceId, certificateId);
    const set = attached.length === 0 ? base : PolicySet.merge([base, compilePolicies(attached.map((policy) => policy.document))]);
    if (this.certificateSets.size >= MAX_CACHED_CERTIFICATES) {
      const oldest = this.certificateSets.keys().next().value;
      if (oldest !== undefined) this.certificateSets.delete(oldest);
    }
    this.certificateSets.set(key, { base, set });
    return set;
  }

  private claimSet(templateName: string): PolicySet {
    let set = this.claimSets.get(templateName);
    if (!set) this.claimSets.set(templateName, (set = compilePolicies([claimPolicy(templateName)])));
    return set;
  }

  private changed(workspaceId: string, certificateId: string): void {
    this.certificateSets.delete(`${workspaceId}\u0000${certificateId}`);
    for (const listener of this.listeners) {
      try {
        listener({ workspaceId, certificateId });
      } catch (error) {
        this.logger.error({ err: error, certificateId }, 'policy change listener failed');
      }
    }
  }
}
