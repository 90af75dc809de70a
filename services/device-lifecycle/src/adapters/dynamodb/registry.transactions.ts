import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { AppError } from '@citus/kit';
import type { CertificateRecord, DeviceRecord } from '../../domain/device.model.js';
import { certificateKey, deviceKey } from './registry.items.js';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
/** Why each item of a cancelled transaction failed (`None` for the ones that did not). */
export type Cancelled = { codes: Array<string | undefined> };

const ANSWERS = new Set([undefined, 'None', 'ConditionalCheckFailed', 'TransactionConflict']);

export const absent = { ConditionExpression: 'attribute_not_exists(pk)' };

/** Writes all or nothing; a transaction cancelled by a condition or a concurrent transaction is an answer. */
export async function transact(documents: DynamoDBDocumentClient, TransactItems: TransactItem[]): Promise<Cancelled | undefined> {
  try {
    await documents.send(new TransactWriteCommand({ TransactItems }));
    return undefined;
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code);
    // Throttling, validation and the like are faults for the caller, not answers.
    if (codes.length === 0 || codes.some((code) => !ANSWERS.has(code))) throw error;
    return { codes };
  }
}

/** Cancelled by a failed condition (not only by a concurrent transaction). */
export const refused = ({ codes }: Cancelled): boolean => codes.includes('ConditionalCheckFailed');

/** Retryable: other writers kept changing the device between this one's read and write. */
export const contended = (): AppError => new AppError('unavailable', 'the device registry is busy with this device: try again');

export const put = (TableName: string, Item: Record<string, unknown>, condition: { ConditionExpression?: string } = {}): TransactItem => ({
  Put: { TableName, Item, ...condition },
});

export const atVersion = (version: number) => ({
  ConditionExpression: '#version = :version',
  ExpressionAttributeNames: { '#version': 'version' },
  ExpressionAttributeValues: { ':version': version },
});

/** Sets the device's lifecycle fields, only if no lifecycle write came since it was read at `version`. */
export function transition(TableName: string, deviceId: string, version: number, fields: Partial<DeviceRecord>): TransactItem {
  const entries = Object.entries(fields);
  return {
    Update: {
      TableName,
      Key: deviceKey(deviceId),
      UpdateExpression: `SET ${entries.map(([field]) => `#${field} = :${field}`).join(', ')}, #version = :next`,
      ConditionExpression: '#version = :version',
      ExpressionAttributeNames: { ...Object.fromEntries(entries.map(([field]) => [`#${field}`, field])), '#version': 'version' },
      ExpressionAttributeValues: {
        ...Object.fromEntries(entries.map(([field, value]) => [`:${field}`, value])),
        ':version': version,
        ':next': version + 1,
      },
    },
  };
}

/** Revokes a certificate that is still active (one revoked meanwhile cancels the transaction). */
export const revokeCertificate = (TableName: string, certificate: CertificateRecord, at: string): TransactItem => ({
  Update: {
    TableName,
    Key: certificateKey(certificate.deviceId, certificate.id),
    UpdateExpression: 'SET #status = :revoked, revokedAt = :at',
    ConditionExpression: '#status = :active',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':revoked': 'REVOKED', ':active': 'ACTIVE', ':at': at },
  },
});
