import { readFileSync } from 'node:fs';
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { PropertyType, ResourceProperties } from '@aws-cdk/service-spec-types';
import { parse } from 'yaml';

/**
 * Checks a CloudFormation template against the CloudFormation resource specification as the AWS CDK
 * team ships it (@aws-cdk/aws-service-spec: the registry's resource schemas, imported into one
 * database): every resource type exists, every property is one the type has, required properties
 * are there, values have the property's type (objects, lists, maps, strings, numbers, booleans,
 * allowed values) down to the last nested property, and every `Fn::GetAtt` names an attribute the
 * type has. A value made by an intrinsic function is taken as valid where it stands: CloudFormation
 * only knows it at deploy time. What the specification does not say (string patterns, lengths,
 * rules across properties) is not checked here.
 */

export interface Template {
  AWSTemplateFormatVersion?: string;
  Parameters?: Record<string, Record<string, unknown>>;
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; [attribute: string]: unknown }>;
  Outputs?: Record<string, Record<string, unknown>>;
  [section: string]: unknown;
}

export const readTemplate = (name: string): Template =>
  parse(readFileSync(new URL(`../../../../infra/aws/${name}`, import.meta.url), 'utf8')) as Template;

const db = loadAwsServiceSpecSync();

const SECTIONS = new Set(['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Rules', 'Mappings', 'Conditions', 'Transform', 'Resources', 'Outputs']);
const RESOURCE_ATTRIBUTES = new Set(['Type', 'Properties', 'DeletionPolicy', 'UpdateReplacePolicy', 'DependsOn', 'Condition', 'Metadata', 'CreationPolicy', 'UpdatePolicy']);
const DELETION_POLICIES = new Set(['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot']);
const PARAMETER_KEYS = new Set(['Type', 'Default', 'AllowedPattern', 'AllowedValues', 'ConstraintDescription', 'Description', 'MaxLength', 'MaxValue', 'MinLength', 'MinValue', 'NoEcho']);
const PARAMETER_TYPES = /^(String|Number|List<Number>|CommaDelimitedList|AWS::[A-Za-z0-9:]+|List<AWS::[A-Za-z0-9:]+>)$/;
const OUTPUT_KEYS = new Set(['Description', 'Value', 'Export', 'Condition']);
const PSEUDO_PARAMETERS = new Set(['AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix']);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `{ Ref: ... }`, `{ 'Fn::...': ... }` or `{ Condition: ... }`: a value CloudFormation computes. */
function isIntrinsic(value: unknown): boolean {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && /^(Ref|Condition|Fn::[A-Za-z]+)$/.test(keys[0] as string);
}

function resourceType(cloudFormationType: string) {
  return db.lookup('resource', 'cloudFormationType', 'equals', cloudFormationType)[0];
}

/** Problems of `value` against a property type of the specification, each prefixed with its path. */
function checkValue(value: unknown, type: PropertyType, path: string): string[] {
  if (isIntrinsic(value)) return [];
  switch (type.type) {
    case 'string':
    case 'date-time':
      if (typeof value !== 'string' && typeof value !== 'number') return [`${path}: expected a string`];
      if (type.type === 'string' && type.allowedValues && !type.allowedValues.includes(String(value))) {
        return [`${path}: ${String(value)} is not one of ${type.allowedValues.join(', ')}`];
      }
      return [];
    case 'number':
    case 'integer':
      return typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) ? [] : [`${path}: expected a number`];
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false' ? [] : [`${path}: expected a boolean`];
    case 'json':
      return isObject(value) || Array.isArray(value) || typeof value === 'string' ? [] : [`${path}: expected a JSON document`];
    case 'null':
      return value === null ? [] : [`${path}: expected null`];
    case 'tag':
      return checkProperties(value, { Key: { type: { type: 'string' }, required: true }, Value: { type: { type: 'string' }, required: true } }, path);
    case 'array':
      if (!Array.isArray(value)) return [`${path}: expected a list`];
      return value.flatMap((element, index) => checkValue(element, type.element, `${path}[${index}]`));
    case 'map':
      if (!isObject(value)) return [`${path}: expected a map`];
      return Object.entries(value).flatMap(([key, element]) => checkValue(element, type.element, `${path}.${key}`));
    case 'union': {
      const attempts = type.types.map((member) => checkValue(value, member, path));
      return attempts.some((problems) => problems.length === 0) ? [] : (attempts.sort((a, b) => a.length - b.length)[0] ?? []);
    }
    case 'ref':
      return checkProperties(value, db.get('typeDefinition', type.reference.$ref).properties, path);
  }
}

function checkProperties(value: unknown, properties: ResourceProperties, path: string): string[] {
  if (!isObject(value)) return [`${path}: expected an object`];
  const unknown = Object.keys(value).filter((name) => !(name in properties)).map((name) => `${path}.${name}: no such property`);
  const missing = Object.entries(properties)
    .filter(([name, property]) => property.required && !(name in value))
    .map(([name]) => `${path}.${name}: required`);
  const invalid = Object.entries(value).flatMap(([name, child]) => {
    const property = properties[name];
    return property ? checkValue(child, property.type, `${path}.${name}`) : [];
  });
  return [...unknown, ...missing, ...invalid];
}

/** Each `Ref`, `Fn::GetAtt` and `${...}` of `Fn::Sub` must name a parameter, a resource and, for attributes, one its type has. */
function checkReferences(template: Template): string[] {
  const resources = template.Resources;
  const names = new Set([...Object.keys(template.Parameters ?? {}), ...Object.keys(resources), ...PSEUDO_PARAMETERS]);
  const attribute = (resource: string, name: string, path: string): string[] => {
    const declared = resources[resource];
    if (!declared) return [`${path}: Fn::GetAtt of undeclared ${resource}`];
    const type = resourceType(declared.Type);
    return type && !(name in type.attributes) ? [`${path}: ${declared.Type} has no attribute ${name}`] : [];
  };
  const walk = (node: unknown, path: string): string[] => {
    if (Array.isArray(node)) return node.flatMap((child, index) => walk(child, `${path}[${index}]`));
    if (!isObject(node)) return [];
    return Object.entries(node).flatMap(([key, value]) => {
      if (key === 'Ref') return names.has(value as string) ? [] : [`${path}: Ref to undeclared ${String(value)}`];
      if (key === 'Fn::GetAtt') {
        const [resource, name] = typeof value === 'string' ? value.split(/\.(.*)/s) : (value as string[]);
        return attribute(resource ?? '', name ?? '', path);
      }
      if (key === 'Fn::Sub') {
        const text = typeof value === 'string' ? value : String((value as unknown[])[0]);
        const bound = typeof value === 'string' ? {} : ((value as unknown[])[1] as Record<string, unknown>);
        return [...text.matchAll(/\$\{([^!}][^}]*)\}/g)].flatMap(([, variable = '']) => {
          if (names.has(variable) || variable in bound) return [];
          const [resource = '', name = ''] = variable.split(/\.(.*)/s);
          return name ? attribute(resource, name, path) : [`${path}: Fn::Sub of undeclared ${variable}`];
        });
      }
      return walk(value, path ? `${path}.${key}` : key);
    });
  };
  return walk(template, '');
}

function checkParameter(name: string, parameter: Record<string, unknown>): string[] {
  const path = `Parameters.${name}`;
  const problems = Object.keys(parameter).filter((key) => !PARAMETER_KEYS.has(key)).map((key) => `${path}.${key}: no such parameter attribute`);
  if (!PARAMETER_TYPES.test(String(parameter.Type))) problems.push(`${path}.Type: ${String(parameter.Type)} is not a parameter type`);
  const { Default: fallback, AllowedPattern: pattern } = parameter;
  // CloudFormation matches the whole value against AllowedPattern.
  if (fallback !== undefined && typeof pattern === 'string' && !new RegExp(`^(?:${pattern})$`).test(String(fallback))) {
    problems.push(`${path}.Default: does not match its AllowedPattern`);
  }
  return problems;
}

function checkResource(name: string, resource: Template['Resources'][string]): string[] {
  const path = `Resources.${name}`;
  const problems = Object.keys(resource).filter((key) => !RESOURCE_ATTRIBUTES.has(key)).map((key) => `${path}.${key}: no such resource attribute`);
  for (const policy of ['DeletionPolicy', 'UpdateReplacePolicy']) {
    if (resource[policy] !== undefined && !DELETION_POLICIES.has(String(resource[policy]))) problems.push(`${path}.${policy}: ${String(resource[policy])} is not a policy`);
  }
  const type = resourceType(resource.Type);
  if (!type) return [...problems, `${path}.Type: ${resource.Type} is not a CloudFormation resource type`];
  return [...problems, ...checkProperties(resource.Properties ?? {}, type.properties, `${path}.Properties`)];
}

/** Every problem the specification finds in the template; none for a valid one. */
export function validateTemplate(template: Template): string[] {
  const problems = Object.keys(template).filter((section) => !SECTIONS.has(section)).map((section) => `${section}: no such template section`);
  if (template.AWSTemplateFormatVersion !== '2010-09-09') problems.push('AWSTemplateFormatVersion: must be 2010-09-09');
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) problems.push(...checkParameter(name, parameter));
  for (const [name, resource] of Object.entries(template.Resources)) problems.push(...checkResource(name, resource));
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    problems.push(...Object.keys(output).filter((key) => !OUTPUT_KEYS.has(key)).map((key) => `Outputs.${name}.${key}: no such output attribute`));
    if (!('Value' in output)) problems.push(`Outputs.${name}.Value: required`);
  }
  return [...problems, ...checkReferences(template)];
}
