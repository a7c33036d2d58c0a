#!/usr/bin/env node
// Offline CloudFormation validation for infra/template.yaml.
//
// The npm `cfn-lint` package (1.9.7) is a JavaScript validator whose bundled resource specification dates from 2019,
// so on its own it rejects current properties (FunctionResponseTypes, PayloadFormatVersion, AutoDeploy, ...).
// This script builds a current specification in memory from the resource database that ships in
// `@aws-cdk/aws-service-spec` (db.json.gz), puts it in place of cfn-lint's bundled one, and validates the template:
// unknown resource types and properties, wrong value types, missing required properties, dangling Refs and
// unknown Fn::GetAtt attributes are reported. It does not judge IAM policy contents (the xunit tests do).
//
// Usage:
//   node validate.mjs [TEMPLATE]               validate TEMPLATE (default: ../template.yaml next to this folder)
//   node validate.mjs --self-test [TEMPLATE]   check that TEMPLATE passes and that each of a set of defects,
//                                              injected in memory, makes validation fail with the expected error
// Exit code: 0 when valid (or every self-test case behaved), 1 on validation errors, 2 on usage/setup errors.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import zlib from 'node:zlib';

const require = createRequire(import.meta.url);
process.noDeprecation = true; // cfn-lint 1.9.7 uses util.isUndefined, which newer Node versions flag as deprecated
const here = path.dirname(fileURLToPath(import.meta.url));

function fail(message, code = 2) {
  console.error(message);
  process.exit(code);
}

if (!fs.existsSync(path.join(here, 'node_modules', 'cfn-lint')) ||
    !fs.existsSync(path.join(here, 'node_modules', '@aws-cdk', 'aws-service-spec'))) {
  fail('infra/validate/node_modules is missing: run `npm ci --prefix infra/validate` first.');
}

// ---------------------------------------------------------------------------------------------------------------
// Build a CloudFormation resource specification (the classic JSON format cfn-lint reads) from the service database.
// ---------------------------------------------------------------------------------------------------------------
function loadServiceDatabase() {
  const dbPath = require.resolve('@aws-cdk/aws-service-spec/db.json.gz');
  return JSON.parse(zlib.gunzipSync(fs.readFileSync(dbPath)).toString('utf8'));
}

const PRIMITIVES = {
  string: 'String',
  integer: 'Integer',
  number: 'Double',
  boolean: 'Boolean',
  json: 'Json',
  'date-time': 'Timestamp',
};

// A union (several accepted shapes) cannot be expressed in the classic format: keep the most permissive member.
function pickUnionMember(types) {
  const rank = (t) => ({ json: 0, ref: 1, array: 2, map: 3, string: 4 }[t.type] ?? 5);
  return [...types].sort((a, b) => rank(a) - rank(b))[0];
}

function buildSpecification(db) {
  const schema = db.schema;
  const typeDefinitionsById = new Map(schema.typeDefinition.entities.map((t) => [t.$id, t]));
  const spec = {
    ResourceSpecificationVersion: `aws-service-spec-${require('@aws-cdk/aws-service-spec/package.json').version}`,
    ResourceTypes: {},
    PropertyTypes: {
      Tag: {
        Documentation: '',
        Properties: {
          Key: { Documentation: '', PrimitiveType: 'String', Required: true, UpdateType: 'Mutable' },
          Value: { Documentation: '', PrimitiveType: 'String', Required: true, UpdateType: 'Mutable' },
        },
      },
    },
  };

  // Item of a List/Map: a primitive, the global Tag, or a property type of the same resource.
  function itemShape(t) {
    if (t.type === 'union') t = pickUnionMember(t.types);
    if (PRIMITIVES[t.type]) return { PrimitiveItemType: PRIMITIVES[t.type] };
    if (t.type === 'tag') return { ItemType: 'Tag' };
    if (t.type === 'ref') return { ItemType: typeDefinitionsById.get(t.reference.$ref).name };
    return { PrimitiveItemType: 'Json' }; // nested aggregates: not expressible, accept any object
  }

  function propertyShape(t) {
    if (t.type === 'union') t = pickUnionMember(t.types);
    if (PRIMITIVES[t.type]) return { PrimitiveType: PRIMITIVES[t.type] };
    if (t.type === 'tag') return { Type: 'Tag' };
    if (t.type === 'ref') return { Type: typeDefinitionsById.get(t.reference.$ref).name };
    if (t.type === 'array') return { Type: 'List', ...itemShape(t.element) };
    if (t.type === 'map') return { Type: 'Map', ...itemShape(t.element) };
    return { PrimitiveType: 'Json' };
  }

  function properties(props) {
    const out = {};
    for (const [name, p] of Object.entries(props ?? {})) {
      out[name] = { Documentation: '', Required: p.required === true, UpdateType: 'Mutable', ...propertyShape(p.type) };
    }
    return out;
  }

  for (const resource of schema.resource.entities) {
    const cfnType = resource.cloudFormationType;
    const attributes = {};
    for (const [name, a] of Object.entries(resource.attributes ?? {})) {
      attributes[name] = a.type?.type === 'array'
        ? { Type: 'List', PrimitiveItemType: 'String' }
        : { PrimitiveType: 'String' };
    }
    spec.ResourceTypes[cfnType] = { Documentation: '', Attributes: attributes, Properties: properties(resource.properties) };
    for (const ref of schema.usesType.forward[resource.$id] ?? []) {
      const typeDefinition = typeDefinitionsById.get(ref.$id);
      if (!typeDefinition) continue;
      spec.PropertyTypes[`${cfnType}.${typeDefinition.name}`] = {
        Documentation: '',
        Properties: properties(typeDefinition.properties),
      };
    }
  }
  return spec;
}

function installSpecification() {
  const awsData = require('cfn-lint/lib/awsData');
  const bundled = awsData.awsResources;
  const current = buildSpecification(loadServiceDatabase());
  // Keep the few generic types only the old specification has (e.g. AWS::CloudFormation::CustomResource).
  for (const [name, value] of Object.entries(bundled.ResourceTypes)) {
    if (!(name in current.ResourceTypes)) current.ResourceTypes[name] = value;
  }
  awsData.awsResources = current;
  return current;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------------------------
const spec = installSpecification();
const validator = require('cfn-lint/lib/validator');
const parser = require('cfn-lint/lib/parser');

// cfn-lint 1.9.7 resolves `!Sub 'arn:${AWS::Partition}:...'` to 'arn:${aws}:...' (it replaces the name inside the
// braces, not the whole placeholder), and then rejects it where an ARN is expected. Judge ARNs with the braces left
// by that substitution removed. (The check is looked up on the module's exports at call time.)
{
  const isArn = validator.isArn;
  validator.isArn = Object.assign(
    (value) => isArn(typeof value === 'string' ? value.replace(/\$\{([^}]*)\}/g, '$1') : value),
    { failureMessage: isArn.failureMessage },
  );
}

// Values for parameters without a default (any well-formed value will do for a structural check).
const PARAMETER_VALUES = {
  CodeBucket: 'orderpipeline-artifacts-123456789012-eu-west-1',
  JwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example',
  JwtAudience: 'orderpipeline-api',
};

function loadTemplate(file) {
  return parser.openFile(file);
}

function validate(template) {
  const errors = [];
  const copy = structuredClone(template);
  // cfn-lint throws on a resource type it does not know: report such resources here and let cfn-lint check the rest
  // with a property-less stand-in, so that Refs to them still resolve.
  for (const [logicalId, resource] of Object.entries(copy.Resources ?? {})) {
    const type = resource?.Type;
    if (typeof type !== 'string' || (!type.startsWith('Custom::') && !(type in spec.ResourceTypes))) {
      errors.push({ message: `Unknown resource type ${JSON.stringify(type)}`, resource: `Resources > ${logicalId}` });
      copy.Resources[logicalId] = { Type: 'AWS::CloudFormation::WaitConditionHandle' };
    }
  }
  validator.resetValidator();
  for (const [name, value] of Object.entries(PARAMETER_VALUES)) validator.addParameterValue(name, value);
  const result = validator.validateJsonObject(copy);
  errors.push(...result.errors.crit);
  // Warnings are treated as errors too: they mean the validator could not check something.
  errors.push(...result.errors.warn);
  return errors;
}

function format(error) {
  return `  ${error.resource ?? ''}: ${error.message}`;
}

function resolveTemplatePath(arg) {
  return path.resolve(arg ?? path.join(here, '..', 'template.yaml'));
}

// ---------------------------------------------------------------------------------------------------------------
// Self-test: each case injects one defect into a copy of the template and must be caught with the expected message.
// ---------------------------------------------------------------------------------------------------------------
function firstResourceOfType(template, type) {
  const entry = Object.entries(template.Resources).find(([, r]) => r.Type === type);
  if (!entry) throw new Error(`self-test: the template has no ${type}`);
  return entry;
}

const SELF_TEST_CASES = [
  {
    name: 'misspelled resource property',
    mutate: (t) => {
      const [, db] = firstResourceOfType(t, 'AWS::RDS::DBInstance');
      db.Properties.StorageEncrypt = db.Properties.StorageEncrypted;
      delete db.Properties.StorageEncrypted;
    },
    expect: /StorageEncrypt is not a valid property/,
  },
  {
    name: 'misspelled property inside a property type',
    mutate: (t) => {
      const [, esm] = firstResourceOfType(t, 'AWS::Lambda::EventSourceMapping');
      esm.Properties.ScalingConfig = { MaxConcurrency: 5 };
    },
    expect: /MaxConcurrency is not a valid property/,
  },
  {
    name: 'wrong value type (string where an integer is expected)',
    mutate: (t) => {
      const [, queue] = firstResourceOfType(t, 'AWS::SQS::Queue');
      queue.Properties.VisibilityTimeout = 'three minutes';
    },
    expect: /Expecting an integer/,
  },
  {
    name: 'wrong value type (list where a string is expected)',
    mutate: (t) => {
      const [, fn] = firstResourceOfType(t, 'AWS::Lambda::Function');
      fn.Properties.Runtime = ['dotnet10'];
    },
    expect: /Expecting a string/,
  },
  {
    name: 'wrong value type (scalar where an object is expected)',
    mutate: (t) => {
      const [, fn] = firstResourceOfType(t, 'AWS::Lambda::Function');
      fn.Properties.VpcConfig = 'private';
    },
    expect: /Expecting an object/,
  },
  {
    name: 'unknown Fn::GetAtt attribute',
    mutate: (t) => {
      const [, integration] = firstResourceOfType(t, 'AWS::ApiGatewayV2::Integration');
      const [fnId] = firstResourceOfType(t, 'AWS::Lambda::Function');
      integration.Properties.IntegrationUri = { 'Fn::GetAtt': [fnId, 'FunctionArn'] };
    },
    expect: /No attribute with name 'FunctionArn'|FunctionArn/,
  },
  {
    name: 'unknown nested Fn::GetAtt attribute',
    mutate: (t) => {
      const [, proxy] = firstResourceOfType(t, 'AWS::RDS::DBProxy');
      const [dbId] = firstResourceOfType(t, 'AWS::RDS::DBInstance');
      proxy.Properties.Auth[0].SecretArn = { 'Fn::GetAtt': [dbId, 'MasterUserSecret', 'Arn'] };
    },
    expect: /MasterUserSecret\.Arn/,
  },
  {
    name: 'dangling Ref',
    mutate: (t) => {
      const [, esm] = firstResourceOfType(t, 'AWS::Lambda::EventSourceMapping');
      esm.Properties.FunctionName = { Ref: 'ProcesorFunction' };
    },
    expect: /ProcesorFunction does not exist|No resource with logical name of ProcesorFunction/,
  },
  {
    name: 'dangling Ref inside Fn::Sub',
    mutate: (t) => {
      const [, queue] = firstResourceOfType(t, 'AWS::SQS::Queue');
      queue.Properties.QueueName = { 'Fn::Sub': '${EnvName}-order-created' };
    },
    expect: /EnvName/,
  },
  {
    name: 'missing required property',
    mutate: (t) => {
      const [, fn] = firstResourceOfType(t, 'AWS::Lambda::Function');
      delete fn.Properties.Role;
    },
    expect: /Required property Role missing/,
  },
  {
    name: 'missing required property inside a property type',
    mutate: (t) => {
      const [, alarm] = firstResourceOfType(t, 'AWS::CloudWatch::Alarm');
      alarm.Properties.Dimensions = [{ Name: 'QueueName' }];
    },
    expect: /Required property Value missing/,
  },
  {
    name: 'unknown resource type',
    mutate: (t) => {
      const [, queue] = firstResourceOfType(t, 'AWS::SQS::Queue');
      queue.Type = 'AWS::SQS::Queues';
    },
    expect: /AWS::SQS::Queues/,
  },
];

function selfTest(file) {
  const template = loadTemplate(file);
  let failures = 0;
  const baseline = validate(template);
  if (baseline.length > 0) {
    console.error(`FAIL  unmodified template should be valid but has ${baseline.length} error(s):`);
    baseline.forEach((e) => console.error(format(e)));
    failures++;
  } else {
    console.log('ok    unmodified template is valid');
  }
  for (const testCase of SELF_TEST_CASES) {
    const copy = structuredClone(template);
    testCase.mutate(copy);
    const errors = validate(copy);
    const matched = errors.some((e) => testCase.expect.test(`${e.resource ?? ''} ${e.message}`));
    if (errors.length > 0 && matched) {
      console.log(`ok    ${testCase.name} is caught: ${errors[0].message}`);
    } else {
      failures++;
      console.error(`FAIL  ${testCase.name} was not caught as expected (${testCase.expect})`);
      errors.forEach((e) => console.error(format(e)));
    }
  }
  const total = SELF_TEST_CASES.length + 1;
  console.log(`self-test: ${total - failures} passed, ${failures} failed`);
  return failures === 0;
}

// ---------------------------------------------------------------------------------------------------------------
const args = process.argv.slice(2);
const isSelfTest = args.includes('--self-test');
const positional = args.filter((a) => !a.startsWith('--'));
const unknownFlags = args.filter((a) => a.startsWith('--') && a !== '--self-test');
if (unknownFlags.length > 0 || positional.length > 1) {
  fail('usage: node validate.mjs [--self-test] [TEMPLATE]');
}
const templatePath = resolveTemplatePath(positional[0]);
if (!fs.existsSync(templatePath)) fail(`template not found: ${templatePath}`);

if (isSelfTest) {
  process.exit(selfTest(templatePath) ? 0 : 1);
}

let template;
try {
  template = loadTemplate(templatePath);
} catch (e) {
  console.error(`${templatePath}: cannot be parsed: ${e.message}`);
  process.exit(1);
}
if (template === null || typeof template !== 'object' || typeof template.Resources !== 'object') {
  console.error(`${templatePath}: not a CloudFormation template (no Resources section)`);
  process.exit(1);
}
const errors = validate(template);
const resourceCount = Object.keys(template.Resources ?? {}).length;
if (errors.length > 0) {
  console.error(`${templatePath}: ${errors.length} error(s)`);
  errors.forEach((e) => console.error(format(e)));
  process.exit(1);
}
console.log(`${templatePath}: valid (${resourceCount} resources checked against ${spec.ResourceSpecificationVersion})`);
