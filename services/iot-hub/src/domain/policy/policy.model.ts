import type { PolicyDocument } from '@citus/contracts';

/** A named policy of a workspace, as stored. */
export interface StoredPolicy {
  workspaceId: string;
  policyName: string;
  document: PolicyDocument;
  /** 1 at creation, one more with each replaced document. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** Port: named policies per workspace and their attachments to certificates. */
export interface PolicyRepository {
  /** False when the workspace already has a policy of that name. */
  create(policy: StoredPolicy): boolean;
  list(workspaceId: string): StoredPolicy[];
  get(workspaceId: string, policyName: string): StoredPolicy | undefined;
  /** Replaces the document and bumps the version; undefined when there is no such policy. */
  replaceDocument(workspaceId: string, policyName: string, document: PolicyDocument, updatedAt: string): StoredPolicy | undefined;
  /** Deletes a policy unless it is attached to a certificate. */
  delete(workspaceId: string, policyName: string): 'deleted' | 'not-found' | 'attached';
  /** Idempotent; the policy must exist. */
  attach(workspaceId: string, policyName: string, certificateId: string, attachedAt: string): void;
  /** False when it was not attached. */
  detach(workspaceId: string, policyName: string, certificateId: string): boolean;
  /** The workspace's policies attached to a certificate, by name. */
  attachedTo(workspaceId: string, certificateId: string): StoredPolicy[];
  /** The certificates a policy is attached to. */
  targetsOf(workspaceId: string, policyName: string): string[];
}
