import { readFileSync } from 'node:fs';
import { CHECKPOINT_TABLE, REGISTRY_TABLES, TELEMETRY_TABLES, type TableDefinition } from '@citus/dynamodb';
import { parse } from 'yaml';

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

const template = parse(readFileSync(new URL('../../../infra/aws/registry.yaml', import.meta.url), 'utf8')) as {
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
};
const resources = template.Resources;
const tableNamed = (name: string) =>
  Object.values(resources).find(
    (resource) => resource.Type === 'AWS::DynamoDB::Table' && (resource.Properties.TableName as { 'Fn::Sub': string })['Fn::Sub'] === `\${TablePrefix}${name}`,
  );

interface Statement {
  Sid: string;
  Action: string[];
  Resource: Array<{ 'Fn::Sub': string }>;
}
const statements = (resources.ServicesPolicy?.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
const arnsOf = (sid: string) => (statements.find((statement) => statement.Sid === sid)?.Resource ?? []).map((arn) => arn['Fn::Sub']);
const tableArn = (name: string) => `arn:\${AWS::Partition}:dynamodb:\${AWS::Region}:\${AWS::AccountId}:table/\${TablePrefix}${name}`;

describe('infra/aws/registry.yaml', () => {
  it.each([...REGISTRY_TABLES, CHECKPOINT_TABLE].map((table): [string, TableDefinition] => [table.name, table]))(
    'declares the %s table as the code defines it',
    (name, { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, StreamSpecification }) => {
      const table = tableNamed(name);
      expect(table?.Properties).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions, KeySchema });
      expect(table?.Properties.GlobalSecondaryIndexes).toEqual(GlobalSecondaryIndexes);
      // CloudFormation's StreamSpecification has only the view type: declaring it enables the stream.
      expect(table?.Properties.StreamSpecification).toEqual(StreamSpecification && { StreamViewType: StreamSpecification.StreamViewType });
    },
  );

  it('declares the registry stream with both images, which the indexer needs to learn removed devices', () => {
    expect(tableNamed('registry')?.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  it("lets the services use the items of every platform table and its indexes, and read the tables' streams, and nothing more", () => {
    const tables = [...TELEMETRY_TABLES, ...REGISTRY_TABLES, CHECKPOINT_TABLE];
    const withIndexes = tables.flatMap((table) => [tableArn(table.name), ...(table.GlobalSecondaryIndexes ? [`${tableArn(table.name)}/index/*`] : [])]);
    expect(arnsOf('ItemsOfTheServicesTables').sort()).toEqual(withIndexes.sort());
    const streamed = tables.filter((table) => table.StreamSpecification?.StreamEnabled).map((table) => `${tableArn(table.name)}/stream/*`);
    expect(arnsOf('ChangeStreams')).toEqual(streamed);
    expect(streamed).toEqual([`${tableArn('telemetry')}/stream/*`, `${tableArn('registry')}/stream/*`]);
    const actions = statements.flatMap((statement) => statement.Action);
    // Tables come from templates, never from the services: no table is created, changed or dropped.
    expect(actions.filter((action) => /Create|Delete(Table|Backup)|UpdateTable|UpdateTimeToLive|\*/.test(action))).toEqual([]);
    expect(statements.map((statement) => (statement as unknown as { Effect: string }).Effect)).toEqual(['Allow', 'Allow']);
  });

  it('outputs the tables and the policy the services need', () => {
    expect(Object.keys(template.Outputs).sort()).toEqual(['IndexerCheckpointsTableName', 'RegistryTableName', 'ServicesPolicyArn']);
  });
});
