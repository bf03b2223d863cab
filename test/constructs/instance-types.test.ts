import {
  ProcessingInstanceType,
  ProductionVariantInstanceType,
  TrainingInstanceType,
  TransformInstanceType,
} from '@aws-sdk/client-sagemaker';
import { version as sdkVersion } from '@aws-sdk/client-sagemaker/package.json';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Annotations as CoreAnnotations, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  EndpointVariant,
  FeatureProcessing,
  INSTANCE_TYPES,
  INSTANCE_TYPES_SOURCE,
  InferenceEndpoint,
  InstanceTypes,
  isInstanceTypeFor,
  ModelRegistry,
  TrainingPipeline,
  UNLISTED_INSTANCE_TYPE_WARNING,
} from '../../constructs';
import { DEPLOYER_ENV } from '../../lambda/deployer/environment';
import { appLikeCli } from '../helpers/app';

const SOURCE = INSTANCE_TYPES_SOURCE.replace(/[.\/]/g, '\\$&');

function newStack() {
  const stack = new Stack(appLikeCli(), 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
  const encryptionKey = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const bucket = new s3.Bucket(stack, 'Data', { encryptionKey, enforceSSL: true });
  return { stack, encryptionKey, bucket };
}

function pipelineWith(instanceTypes: { processing?: string; training?: string }) {
  const { stack, encryptionKey, bucket } = newStack();
  new TrainingPipeline(stack, 'Training', {
    pipelineName: 'team-churn',
    dataBucket: bucket,
    artifactsBucket: bucket,
    encryptionKey,
    modelRegistry: ModelRegistry.fromModelPackageGroupName(stack, 'Models', 'team-churn-models'),
    featureProcessing: new FeatureProcessing(stack, 'Features', { instanceType: instanceTypes.processing }),
    trainingInstanceType: instanceTypes.training,
  });
  return stack;
}

function endpointWith(instanceType: string) {
  const { stack, encryptionKey, bucket } = newStack();
  new InferenceEndpoint(stack, 'Endpoint', {
    endpointName: 'churn-prod-endpoint',
    modelRegistry: new ModelRegistry(stack, 'Registry', { modelPackageGroupName: 'churn-prod-models', encryptionKey }),
    encryptionKey,
    modelArtifactsBucket: bucket,
    variant: EndpointVariant.instances({ instanceType, dataCapture: { bucket } }),
  });
  return stack;
}

function pipelineParameters(stack: Stack): Record<string, unknown> {
  const [pipeline] = Object.values(Template.fromStack(stack).findResources('AWS::SageMaker::Pipeline'));
  const body = pipeline.Properties.PipelineDefinition.PipelineDefinitionBody;
  const text = typeof body === 'string' ? body : (body['Fn::Join'][1] as unknown[]).map((part) => (typeof part === 'string' ? part : 'ref')).join('');
  return Object.fromEntries((JSON.parse(text).Parameters as { Name: string; DefaultValue?: unknown }[]).map((p) => [p.Name, p.DefaultValue]));
}

describe('instance types', () => {
  test.each([
    ['processing', ProcessingInstanceType],
    ['training', TrainingInstanceType],
    ['hosting', ProductionVariantInstanceType],
    ['transform', TransformInstanceType],
  ] as const)('lists for %s exactly the types of the installed SDK enum (else: npm run generate:instance-types)', (use, sdkEnum) => {
    expect([...INSTANCE_TYPES[use]].sort()).toEqual([...new Set(Object.values(sdkEnum))].sort());
  });

  test('names the installed SDK version as its source', () => {
    expect(INSTANCE_TYPES_SOURCE).toBe(`@aws-sdk/client-sagemaker ${sdkVersion}`);
  });

  test('loads without the SDK, which costs a synth about 200 ms', () => {
    const script = "require('ts-node/register/transpile-only'); require('./constructs/instance-types'); process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((path) => path.includes('@aws-sdk'))))";
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: join(__dirname, '..', '..'), encoding: 'utf8' }));
    expect(loaded).toEqual([]);
  });

  test('orders each list by family, then size', () => {
    const m5 = INSTANCE_TYPES.training.filter((type) => type.startsWith('ml.m5.'));
    expect(m5.slice(0, 3)).toEqual(['ml.m5.large', 'ml.m5.xlarge', 'ml.m5.2xlarge']);
  });

  test.each(['ml.p5.48xlarge', 'ml.g6.xlarge', 'ml.trn1.2xlarge'])('accepts the current hosting type %s', (instanceType) => {
    expect(isInstanceTypeFor('hosting', instanceType)).toBe(true);
    expect(() => endpointWith(instanceType)).not.toThrow();
  });

  test('fails when the training type is one SageMaker does not offer for training (ml.c6i.large)', () => {
    expect(isInstanceTypeFor('training', 'ml.c6i.large')).toBe(false);
    expect(() => pipelineWith({ training: 'ml.c6i.large' })).toThrow(
      new RegExp(
        `^TrainingPipeline: trainingInstanceType "ml\\.c6i\\.large" is not an instance type SageMaker offers for training jobs by ${SOURCE}: ` +
          'use one such as ml\\.c6i\\.xlarge, ml\\.c6i\\.2xlarge, ml\\.c6i\\.4xlarge \\(INSTANCE_TYPES\\.training lists all \\d+\\), ' +
          "or for a type newer than the SDK, InstanceTypes\\.unlisted\\('ml\\.c6i\\.large'\\)$",
      ),
    );
  });

  test('fails when a type no SDK list has is given without InstanceTypes.unlisted', () => {
    expect(() => new FeatureProcessing(newStack().stack, 'Features', { instanceType: 'ml.x9.large' })).toThrow(
      /instanceType "ml\.x9\.large" is not an instance type SageMaker offers for processing jobs .*InstanceTypes\.unlisted\('ml\.x9\.large'\)/,
    );
    expect(() => endpointWith('ml.x9.large')).toThrow(/instanceType "ml\.x9\.large" is not an instance type SageMaker offers for endpoints \(hosting\)/);
  });

  test('accepts a type wrapped in InstanceTypes.unlisted, rendering it as given, with a warning at each use', () => {
    // GIVEN types newer than the SDK's lists
    const stack = pipelineWith({ processing: InstanceTypes.unlisted('ml.x9.large'), training: InstanceTypes.unlisted('ml.x8.xlarge') });
    // THEN
    expect(pipelineParameters(stack)).toMatchObject({ ProcessingInstanceType: 'ml.x9.large', TrainingInstanceType: 'ml.x8.xlarge' });
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning(
      '/S/Features',
      Match.stringLikeRegexp(`instanceType "ml\\.x9\\.large" is not in ${SOURCE}'s list of instance types for processing jobs.*\\[ack: ${UNLISTED_INSTANCE_TYPE_WARNING}\\]`),
    );
    annotations.hasWarning('/S/Training', Match.stringLikeRegexp(`trainingInstanceType "ml\\.x8\\.xlarge" is not in ${SOURCE}'s list of instance types for training jobs`));
  });

  test('accepts an unlisted hosting type with a warning, and hands the deployer the type itself', () => {
    const stack = endpointWith(InstanceTypes.unlisted('ml.x9.large'));
    Annotations.fromStack(stack).hasWarning('/S/Endpoint', Match.stringLikeRegexp('instanceType "ml\\.x9\\.large" is not in .* endpoints \\(hosting\\)'));
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [DEPLOYER_ENV.INSTANCE_TYPE]: 'ml.x9.large' }) },
    });
  });

  test('does not warn when the wrapped type is listed for its use after all', () => {
    Annotations.fromStack(endpointWith(InstanceTypes.unlisted('ml.m5.large'))).hasNoWarning('*', Match.anyValue());
  });

  test('the warning can be acknowledged by its id', () => {
    const stack = endpointWith(InstanceTypes.unlisted('ml.x9.large'));
    CoreAnnotations.of(stack).acknowledgeWarning(UNLISTED_INSTANCE_TYPE_WARNING, 'ml.x9.large is offered in our region');
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('fails when InstanceTypes.unlisted gets something that is not an instance type', () => {
    expect(() => InstanceTypes.unlisted('x9.large')).toThrow(/"x9\.large" is not an instance type: use ml\.<family>\.<size>/);
  });

  test('tells a marked type from a plain one', () => {
    expect(InstanceTypes.unlistedTypeOf(InstanceTypes.unlisted('ml.x9.large'))).toBe('ml.x9.large');
    expect(InstanceTypes.unlistedTypeOf('ml.x9.large')).toBeUndefined();
  });
});
