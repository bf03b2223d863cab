import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ErrorObject, SchemaObject, ValidateFunction } from 'ajv';

/** The published SageMaker pipeline definition schema, copied with its provenance (test/fixtures/README.md). */
const PIPELINE_SCHEMA_FILE = path.join(__dirname, '..', 'fixtures', 'sagemaker-pipeline-definition.schema.json');

const GET = { $ref: '#/definitions/GetFunction' };
const JSON_GET = { $ref: '#/definitions/JsonGetFunction' };
const JOIN = { $ref: '#/definitions/JoinFunction' };

/**
 * Returns a copy of the published schema amended where it rejects definitions the SageMaker
 * service accepts. Each amendment names the AWS page that settles it; the quirk tests in
 * pipeline-definition-schema.test.ts prove the published schema rejects each case.
 */
function amendSchema(published: SchemaObject): SchemaObject {
  const schema: SchemaObject = structuredClone(published);
  const definitions: Record<string, SchemaObject> = schema.definitions;

  // `Std:JsonGet` is missing, yet it is how a condition reads a property file:
  // https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-propertyfile.html
  definitions.JsonGetFunction = {
    type: 'object',
    properties: {
      'Std:JsonGet': {
        type: 'object',
        properties: { PropertyFile: GET, Path: { type: 'string' } },
        required: ['PropertyFile', 'Path'],
        additionalProperties: false,
      },
    },
    required: ['Std:JsonGet'],
    additionalProperties: false,
  };
  // `Std:Join` (a Fail step's ErrorMessage may be one:
  // https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-steps-types.html#step-type-fail).
  // The published JoinFunction puts `Values` beside `required` instead of under `properties`, so
  // no object satisfies it, lacks `On`, and is referenced nowhere. Its item types are kept.
  definitions.JoinFunction = {
    type: 'object',
    properties: {
      'Std:Join': {
        type: 'object',
        properties: {
          On: { type: 'string' },
          Values: { type: 'array', items: { anyOf: [{ type: ['string', 'number', 'boolean'] }, GET] } },
        },
        required: ['On', 'Values'],
        additionalProperties: false,
      },
    },
    required: ['Std:Join'],
    additionalProperties: false,
  };
  definitions.StringArgumentValue.oneOf.push(JOIN, JSON_GET);
  for (const name of ['IntegerArgumentValue', 'FloatArgumentValue', 'BooleanArgumentValue']) {
    definitions[name].oneOf.push(JSON_GET);
  }

  // Processing steps declare the files `Std:JsonGet` reads (same page as JsonGet), keyed as the
  // SageMaker Python SDK writes them.
  definitions.ProcessingStep.properties.PropertyFiles = {
    type: 'array',
    items: {
      type: 'object',
      properties: {
        PropertyFileName: { type: 'string' },
        OutputName: { type: 'string' },
        FilePath: { type: 'string' },
      },
      required: ['PropertyFileName', 'OutputName', 'FilePath'],
      additionalProperties: false,
    },
  };

  // RetryPolicy.ExceptionType is an array of exception types:
  // https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-retry-policy.html
  const exceptionType = definitions.RetryPolicy.properties.ExceptionType;
  definitions.RetryPolicy.properties.ExceptionType = { type: 'array', minItems: 1, items: exceptionType };

  // CreateModelPackage's ModelApprovalStatus is missing from RegisterModel arguments, which
  // forbid additional properties:
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html
  definitions.RegisterModelStep.properties.Arguments.properties.ModelApprovalStatus = {
    oneOf: [{ type: 'string', enum: ['Approved', 'Rejected', 'PendingManualApproval'] }, GET],
  };

  // CustomerMetadataProperties (string to string, up to 50 entries) is part of the
  // CreateModelPackage request too; the package records the run's input data location in it:
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html
  definitions.RegisterModelStep.properties.Arguments.properties.CustomerMetadataProperties = {
    type: 'object',
    maxProperties: 50,
    additionalProperties: { $ref: '#/definitions/StringArgumentValue' },
  };

  // ModelCard (ModelCardContent and ModelCardStatus) is part of the CreateModelPackage request too;
  // the pipeline registers the card its review gate wrote:
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html
  definitions.RegisterModelStep.properties.Arguments.properties.ModelCard = {
    type: 'object',
    properties: {
      ModelCardContent: { $ref: '#/definitions/StringArgumentValue' },
      ModelCardStatus: { oneOf: [{ type: 'string', enum: ['Draft', 'PendingReview', 'Approved', 'Archived'] }, GET] },
    },
    additionalProperties: false,
  };

  // ModelMetrics.Bias has PreTrainingReport and PostTrainingReport beside Report, each a
  // MetricsSource; the published schema has Report only:
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Bias.html
  const bias = definitions.RegisterModelStep.properties.Arguments.properties.ModelMetrics.properties.Bias;
  bias.properties.PreTrainingReport = bias.properties.Report;
  bias.properties.PostTrainingReport = bias.properties.Report;

  // PipelineExperimentConfig is a documented top-level key, forbidden by additionalProperties:
  // https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-experiments.html
  schema.properties.PipelineExperimentConfig = {
    type: 'object',
    properties: {
      ExperimentName: { $ref: '#/definitions/StringArgumentValue' },
      TrialName: { $ref: '#/definitions/StringArgumentValue' },
    },
    additionalProperties: false,
  };
  return schema;
}

/**
 * Ajv's default draft-07 dialect is right: it maps the schema's `$schema`
 * (`http://json-schema.org/schema#`) to draft-07. `strict: false` because the published schema
 * has keywords strict mode rejects: a misplaced `ModelPackageName` in RegisterModel arguments,
 * `Values` as a keyword in JoinFunction, `minLength` on integers, `required` without
 * `type: object`. `allErrors` so a failure lists every mismatch.
 */
function compile(schema: SchemaObject): ValidateFunction {
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

const published: SchemaObject = JSON.parse(fs.readFileSync(PIPELINE_SCHEMA_FILE, 'utf8'));
const validateAmended = compile(amendSchema(published));
let validateUnamended: ValidateFunction | undefined;

function format(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map(
    (error) => `${error.instancePath || '/'} ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`,
  );
}

/**
 * Validates a pipeline definition against the published schema with `SCHEMA_AMENDMENTS`
 * applied. Returns one line per schema error; an empty list means valid.
 */
export function validatePipelineDefinition(definition: unknown): string[] {
  return validateAmended(definition) ? [] : format(validateAmended.errors);
}

/** Validates against the schema exactly as published; for tests that document its quirks. */
export function validateAgainstPublishedSchema(definition: unknown): string[] {
  validateUnamended ??= compile(published);
  return validateUnamended(definition) ? [] : format(validateUnamended.errors);
}
