// Helpers shared by the TrainingPipeline tests: the synthesized definition, its steps by name, and
// a pipeline in a stack of its own with buckets named at synth.
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ModelRegistry, TrainingPipeline, TrainingPipelineProps } from '../../constructs';
import { appLikeCli } from '../helpers/app';

/**
 * The synthesized PipelineDefinitionBody, with every CloudFormation reference replaced by a
 * placeholder string so the JSON parses (the references are bucket names, ARNs and URL suffixes):
 * `cfn-reference`, or what `placeholder` makes of the reference.
 */
export function definitionOf(template: Template, placeholder: (reference: Record<string, any>) => string = () => 'cfn-reference'): Record<string, any> {
  const [pipeline] = Object.values(template.findResources('AWS::SageMaker::Pipeline'));
  const body = pipeline.Properties.PipelineDefinition.PipelineDefinitionBody;
  const text = typeof body === 'string' ? body : (body['Fn::Join'][1] as unknown[]).map((part) => (typeof part === 'string' ? part : placeholder(part as Record<string, any>))).join('');
  return JSON.parse(text);
}

/** A placeholder that names what a `Fn::GetAtt` reads, such as `TrainingReviewGateHandlerFunction0CFE779E.Arn`. */
export const getAttName = (reference: Record<string, any>): string => (reference['Fn::GetAtt'] ? reference['Fn::GetAtt'].join('.') : 'cfn-reference');

/** Every step, top level or in a condition branch, by name. */
export function stepsByName(definition: Record<string, any>): Record<string, any> {
  const all = definition.Steps.flatMap((step: any) => (step.Type === 'Condition' ? [step, ...step.Arguments.IfSteps, ...step.Arguments.ElseSteps] : [step]));
  return Object.fromEntries(all.map((step: any) => [step.Name, step]));
}

/** The item of a list of processing inputs or outputs with that name. */
export function named(items: Record<string, any>[], key: 'InputName' | 'OutputName', name: string): Record<string, any> {
  const item = items.find((candidate) => candidate[key] === name);
  if (item === undefined) throw new Error(`no ${key} ${name} among ${items.map((candidate) => candidate[key]).join(', ')}`);
  return item;
}

/** The TrainingPipeline props of a team's stack in eu-west-1 (or `region`): buckets team-data and team-artifacts, group team-churn-models. */
function teamProps(stack: Stack): TrainingPipelineProps {
  return {
    pipelineName: 'team-churn',
    dataBucket: s3.Bucket.fromBucketName(stack, 'Data', 'team-data'),
    artifactsBucket: s3.Bucket.fromBucketName(stack, 'Artifacts', 'team-artifacts'),
    encryptionKey: new kms.Key(stack, 'TeamKey', { enableKeyRotation: true }),
    modelRegistry: ModelRegistry.fromModelPackageGroupName(stack, 'TeamModels', 'team-churn-models'),
  };
}

function teamStack(region: string): Stack {
  return new Stack(appLikeCli(), 'TeamStack', { env: { account: '111122223333', region } });
}

/** A pipeline with `props` over the team's (or the props made in its stack, such as a VPC), synthesized. */
export function pipelineWith(props: Partial<TrainingPipelineProps> | ((stack: Stack) => Partial<TrainingPipelineProps>) = {}, region = 'eu-west-1') {
  const stack = teamStack(region);
  const pipeline = new TrainingPipeline(stack, 'Training', { ...teamProps(stack), ...(typeof props === 'function' ? props(stack) : props) });
  const template = Template.fromStack(stack);
  const definition = definitionOf(template);
  return { stack, pipeline, template, definition, steps: stepsByName(definition) };
}

/** The message TrainingPipeline throws for `props` over the team's; fails the test if it accepts them. */
export function refusalOf(props: Partial<TrainingPipelineProps>): string {
  const stack = teamStack('eu-west-1');
  try {
    new TrainingPipeline(stack, 'Training', { ...teamProps(stack), ...props });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected TrainingPipeline to refuse the props');
}
