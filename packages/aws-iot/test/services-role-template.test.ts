import { readTemplate } from './support/cloudformation-spec.js';

const template = readTemplate('services-role.yaml');
const role = template.Resources.ServicesRole?.Properties ?? {};
const parameters = template.Parameters ?? {};

const STACK = {
  'AWS::Partition': 'aws',
  'AWS::AccountId': '123456789012',
  OidcIssuer: 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
  ServiceAccountNamespace: 'citus',
  ServiceAccountName: 'citus-platform',
};
/** Fills in an `Fn::Sub` string's variables the way CloudFormation would. */
const substitute = (text: string, values: Record<string, string>): string =>
  text.replace(/\$\{([^!}][^}]*)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for \${${name}}`);
    return value;
  });
const accepts = (parameter: string, value: string): boolean =>
  new RegExp(`^(?:${String(parameters[parameter]?.AllowedPattern)})$`).test(value);

interface Statement {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: Array<{ 'Fn::Sub': string }>;
}

describe('infra/aws/services-role.yaml', () => {
  it('may be assumed only with a web identity token of the one Kubernetes service account, for STS', () => {
    const trust = JSON.parse(substitute((role.AssumeRolePolicyDocument as { 'Fn::Sub': string })['Fn::Sub'], STACK)) as unknown;
    expect(trust).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${STACK.OidcIssuer}` },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: {
              [`${STACK.OidcIssuer}:sub`]: 'system:serviceaccount:citus:citus-platform',
              [`${STACK.OidcIssuer}:aud`]: 'sts.amazonaws.com',
            },
          },
        },
      ],
    });
  });

  it('keeps quotes and other JSON out of the trust policy through its parameters', () => {
    expect(accepts('OidcIssuer', STACK.OidcIssuer)).toBe(true);
    expect(accepts('OidcIssuer', 'oidc.example/id/x", "Effect": "Allow')).toBe(false);
    expect(accepts('ServiceAccountNamespace', 'citus')).toBe(true);
    expect(accepts('ServiceAccountNamespace', '*')).toBe(false);
    expect(accepts('ServiceAccountName', 'citus-platform')).toBe(true);
    expect(accepts('ServiceAccountName', 'a"b')).toBe(false);
    expect(accepts('ServicesPolicyArn', 'arn:aws:iam::123456789012:policy/citus-ServicesPolicy-1A2B3C')).toBe(true);
    expect(accepts('ArtifactsBucketName', 'citus-storage-artifactsbucket-1a2b3c')).toBe(true);
    expect(accepts('ArtifactsBucketName', '*')).toBe(false);
  });

  it("holds registry.yaml's ServicesPolicy and the artifacts bucket's objects, and nothing more", () => {
    expect(role.ManagedPolicyArns).toEqual([{ Ref: 'ServicesPolicyArn' }]);
    const statements = (role.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap((policy) => policy.PolicyDocument.Statement);
    expect(statements.map(({ Effect, Action, Resource }) => ({ Effect, Action, Resource }))).toEqual([
      {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${ArtifactsBucketName}/*' }],
      },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${ArtifactsBucketName}' }] },
    ]);
    expect(role).not.toHaveProperty('PermissionsBoundary');
    expect(Object.values(template.Resources).map((resource) => resource.Type)).toEqual(['AWS::IAM::Role']);
  });

  it('names the namespace and service account of infra/k8s by default, and outputs the ARN to annotate it with', () => {
    expect(parameters.ServiceAccountNamespace?.Default).toBe('citus');
    expect(parameters.ServiceAccountName?.Default).toBe('citus-platform');
    expect(template.Outputs?.ServicesRoleArn?.Value).toEqual({ 'Fn::GetAtt': ['ServicesRole', 'Arn'] });
  });
});
