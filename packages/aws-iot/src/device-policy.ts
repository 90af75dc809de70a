/** An IoT policy statement and document, as much as rendering needs; the rest is carried through untouched. */
export interface IotPolicyStatement {
  Resource: string | string[];
}
export interface IotPolicyDocument {
  Version: string;
  /** AWS accepts one statement on its own as well as a list. */
  Statement: IotPolicyStatement | IotPolicyStatement[];
}

export interface AwsAccount {
  region: string;
  accountId: string;
  /** `aws` unless in China (`aws-cn`) or GovCloud (`aws-us-gov`). */
  partition?: string;
}

/** The region- and account-free ARN prefix the hub's policies are written with. */
const ANY_ACCOUNT_PREFIX = /^arn:aws:iot:\*:\*:/;

/**
 * Pins a hub policy document (written with `arn:aws:iot:*:*:`) to one account and region, so that
 * on AWS IoT it grants nothing in other accounts' or regions' resources. The document is taken as
 * a parameter rather than imported: packages do not depend on services, and the hub owns it.
 */
export function renderPolicyDocument<T extends IotPolicyDocument>(document: T, account: AwsAccount): T {
  const prefix = `arn:${account.partition ?? 'aws'}:iot:${account.region}:${account.accountId}:`;
  const pin = (resource: string): string => resource.replace(ANY_ACCOUNT_PREFIX, prefix);
  const pinned = <S extends IotPolicyStatement>(statement: S): S => ({
    ...statement,
    Resource: Array.isArray(statement.Resource) ? statement.Resource.map(pin) : pin(statement.Resource),
  });
  const Statement = Array.isArray(document.Statement) ? document.Statement.map(pinned) : pinned(document.Statement);
  // Only Resource strings changed, so the document keeps the caller's own type.
  return { ...document, Statement } as T;
}

/** The ARN of a certificate, from its id. */
export const certificateArn = (account: AwsAccount, certificateId: string): string =>
  `arn:${account.partition ?? 'aws'}:iot:${account.region}:${account.accountId}:cert/${certificateId}`;
