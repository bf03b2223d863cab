import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ModelRegistry, TrainingPipeline } from '../../constructs';
import { appLikeCli } from '../helpers/app';
import { definitionOf } from './training-pipeline-fixture';

describe('the DataQualityBaseline step', () => {
  // GIVEN a pipeline with default props
  const stack = new Stack(appLikeCli(), 'TeamStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  const encryptionKey = new kms.Key(stack, 'TeamKey', { enableKeyRotation: true });
  new TrainingPipeline(stack, 'Training', {
    pipelineName: 'team-churn',
    dataBucket: new s3.Bucket(stack, 'TeamData', { encryptionKey, enforceSSL: true }),
    artifactsBucket: new s3.Bucket(stack, 'TeamArtifacts', { encryptionKey, enforceSSL: true }),
    encryptionKey,
    modelRegistry: ModelRegistry.fromModelPackageGroupName(stack, 'TeamModels', 'team-churn-models'),
  });

  // WHEN the definition is synthesized
  const definition = definitionOf(Template.fromStack(stack));
  const step = definition.Steps.find((candidate: any) => candidate.Name === 'DataQualityBaseline');

  test('reads baseline.csv with its header and the output column first, as evaluation.py writes it', () => {
    // THEN the analyzer is told: header row, output (prediction) column(s) at the start
    expect(JSON.parse(step.Arguments.Environment.dataset_format)).toEqual({ csv: { header: true, output_columns_position: 'START' } });
  });

  test("analyzes Evaluate's baseline output (the model's predictions first) at the path it names as dataset_source", () => {
    const [input] = step.Arguments.ProcessingInputs;
    expect(step.Arguments.ProcessingInputs).toHaveLength(1);
    expect(input.S3Input.S3Uri).toEqual({ Get: "Steps.Evaluate.ProcessingOutputConfig.Outputs['baseline'].S3Output.S3Uri" });
    expect(input.S3Input.LocalPath).toBe(step.Arguments.Environment.dataset_source);
    expect(step.Arguments.Environment.output_path).toBe(step.Arguments.ProcessingOutputConfig.Outputs[0].S3Output.LocalPath);
  });
});
