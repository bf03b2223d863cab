import { HANDLER_METADATA_KEY } from '../../constructs/secure-function';
import { BATCH_SCORER_ENV as E } from '../../lambda/batch-scorer/environment';
import { INPUT_HASH_LENGTH, jobOutputPath, outputObjectName, transformJobName } from '../../lambda/batch-scorer/naming';
import { describeArn, Handoff } from './handoffs';
import { jobLogs, readObject, registeredModelData, trust, volumeKey, writeObject } from './sagemaker-handoffs';
import { ResolvedTemplate } from '../resolved-template';

/** The input file the check imagines under the input prefix. */
const SAMPLE_INPUT = 'customers.csv';

/**
 * What each batch scorer hands SageMaker: its transform jobs run with the model role, which SageMaker
 * assumes to load the model the pipeline registered, read the input file, write the output with the
 * scorer's output key, attach the volume key (where the instance type has volumes) and write the
 * job's logs and metrics. (The S3 and EventBridge hand-offs to the scorer, and its SDK calls, are
 * checked with every rule and function.)
 */
export function batchHandoffs(template: ResolvedTemplate): Handoff[] {
  const scorers = template.ofType('AWS::Lambda::Function').filter((fn) => fn.metadata[HANDLER_METADATA_KEY] === 'batch-scorer');
  return scorers.flatMap((scorer) => {
    const env = ((scorer.properties.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {}) as Record<string, string>;
    const role = env[E.MODEL_EXECUTION_ROLE_ARN];
    const [input, output] = [env[E.INPUT_S3_URI], env[E.OUTPUT_S3_URI]];
    if (!role || !input || !output) {
      return [{ kind: 'batch transform', from: `function ${template.pathOf(scorer.logicalId)}`, to: '(unknown)', requests: [], problems: ['the scorer names no model role, input or output location'] }];
    }
    const jobName = transformJobName(env[E.SCORER_NAME] ?? 'scorer', '0'.repeat(INPUT_HASH_LENGTH), 1);
    const job = `transform job ${jobName}`;
    const outputKey = env[E.OUTPUT_KMS_KEY_ID];
    const volume = env[E.VOLUME_KMS_KEY_ID];
    return [
      trust(template, role),
      ...registeredModelData(template).map(({ from, modelDataUrl }) => ({ kind: 'batch model artifact', from, to: describeArn(template, role), requests: readObject(template, role, modelDataUrl) })),
      { kind: 'batch input', from: input, to: `${job} (${describeArn(template, role)})`, requests: readObject(template, role, `${input}${SAMPLE_INPUT}`) },
      {
        kind: 'batch output',
        from: `${job} (${describeArn(template, role)})`,
        to: output,
        requests: [
          ...writeObject(template, role, `${jobOutputPath(output, jobName)}/${outputObjectName(SAMPLE_INPUT)}`, outputKey),
          ...(volume ? volumeKey(role, volume) : []),
          ...jobLogs(template, role, 'TransformJobs'),
          { principal: role, action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': '/aws/sagemaker/TransformJobs' } },
        ],
      },
    ];
  });
}
