import { DEPLOYER_ENV, monitoringOffReason, readDeployerSettings } from '../../lambda/deployer/environment';
import { DeployerSettingsError } from '../../lambda/deployer/errors';

const COMMON = {
  [DEPLOYER_ENV.ENDPOINT_NAME]: 'churn-prod',
  [DEPLOYER_ENV.MODEL_PACKAGE_GROUP_NAME]: 'churn',
  [DEPLOYER_ENV.MODEL_EXECUTION_ROLE_ARN]: 'arn:aws:iam::111122223333:role/model-execution',
  [DEPLOYER_ENV.KMS_KEY_ID]: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
};

const INSTANCE_ENV = {
  ...COMMON,
  [DEPLOYER_ENV.VARIANT_TYPE]: 'instance',
  [DEPLOYER_ENV.INSTANCE_TYPE]: 'ml.m5.large',
  [DEPLOYER_ENV.INITIAL_INSTANCE_COUNT]: '2',
  [DEPLOYER_ENV.MIN_CAPACITY]: '2',
  [DEPLOYER_ENV.MAX_CAPACITY]: '4',
  [DEPLOYER_ENV.TARGET_INVOCATIONS_PER_INSTANCE]: '750.5',
  [DEPLOYER_ENV.DATA_CAPTURE_S3_URI]: 's3://churn-data/capture/',
  [DEPLOYER_ENV.DATA_CAPTURE_PERCENT]: '25',
  [DEPLOYER_ENV.DEPLOYMENT_STRATEGY]: 'canary',
  [DEPLOYER_ENV.TRAFFIC_STEP_PERCENT]: '10',
  [DEPLOYER_ENV.WAIT_INTERVAL_SECONDS]: '600',
  [DEPLOYER_ENV.MAX_EXECUTION_TIMEOUT_SECONDS]: '3600',
  [DEPLOYER_ENV.ROLLBACK_ALARM_NAMES]: 'churn-prod-5xx, churn-prod-latency',
  [DEPLOYER_ENV.SUBNET_IDS]: 'subnet-0a1,subnet-0b2',
  [DEPLOYER_ENV.SECURITY_GROUP_IDS]: 'sg-0c3',
};

const SERVERLESS_ENV = {
  ...COMMON,
  [DEPLOYER_ENV.VARIANT_TYPE]: 'serverless',
  [DEPLOYER_ENV.SERVERLESS_MEMORY_MB]: '2048',
  [DEPLOYER_ENV.SERVERLESS_MAX_CONCURRENCY]: '10',
};

const MONITORING_ENV = {
  [DEPLOYER_ENV.MONITORING_SCHEDULE_NAME]: 'churn-prod-data-quality',
  [DEPLOYER_ENV.MONITORING_SCHEDULE_EXPRESSION]: 'cron(0 * ? * * *)',
  [DEPLOYER_ENV.MONITORING_IMAGE_URI]: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
  [DEPLOYER_ENV.MONITORING_ROLE_ARN]: 'arn:aws:iam::111122223333:role/monitoring',
  [DEPLOYER_ENV.MONITORING_OUTPUT_S3_URI]: 's3://churn-data/monitoring/',
  [DEPLOYER_ENV.MONITORING_INSTANCE_TYPE]: 'ml.m5.large',
};

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    readDeployerSettings(env);
  } catch (error) {
    if (error instanceof DeployerSettingsError) return error.problems;
    throw error;
  }
  throw new Error('expected the settings to be rejected');
}

describe('readDeployerSettings', () => {
  test('reads an instance variant with blue/green, capture, VPC and autoscaling settings', () => {
    // WHEN
    const settings = readDeployerSettings(INSTANCE_ENV);

    // THEN
    expect(settings).toEqual({
      endpointName: 'churn-prod',
      modelPackageGroupName: 'churn',
      executionRoleArn: 'arn:aws:iam::111122223333:role/model-execution',
      kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      variant: {
        type: 'instance',
        instanceType: 'ml.m5.large',
        initialInstanceCount: 2,
        minCapacity: 2,
        maxCapacity: 4,
        targetInvocationsPerInstance: 750.5,
        dataCapture: { destinationS3Uri: 's3://churn-data/capture/', samplingPercent: 25, kmsKeyId: undefined },
        deployment: {
          strategy: 'canary',
          trafficStepPercent: 10,
          waitIntervalSeconds: 600,
          maxExecutionTimeoutSeconds: 3600,
          rollbackAlarmNames: ['churn-prod-5xx', 'churn-prod-latency'],
        },
        vpc: { subnetIds: ['subnet-0a1', 'subnet-0b2'], securityGroupIds: ['sg-0c3'] },
      },
    });
  });

  test('reads a serverless variant; the KMS key and VPC are optional', () => {
    // WHEN
    const settings = readDeployerSettings({ ...SERVERLESS_ENV, [DEPLOYER_ENV.KMS_KEY_ID]: undefined });

    // THEN
    expect(settings.kmsKeyId).toBeUndefined();
    expect(settings.variant).toEqual({ type: 'serverless', memorySizeInMb: 2048, maxConcurrency: 10 });
  });

  test('all-at-once needs no traffic step and rollback alarms are optional', () => {
    // WHEN
    const settings = readDeployerSettings({
      ...INSTANCE_ENV,
      [DEPLOYER_ENV.DEPLOYMENT_STRATEGY]: 'all-at-once',
      [DEPLOYER_ENV.TRAFFIC_STEP_PERCENT]: undefined,
      [DEPLOYER_ENV.ROLLBACK_ALARM_NAMES]: '',
      [DEPLOYER_ENV.SUBNET_IDS]: undefined,
      [DEPLOYER_ENV.SECURITY_GROUP_IDS]: undefined,
    });

    // THEN
    expect(settings.variant).toMatchObject({
      deployment: { strategy: 'all-at-once', trafficStepPercent: undefined, rollbackAlarmNames: [] },
      vpc: undefined,
    });
  });

  test('fails when variables are missing, listing every one with what is expected', () => {
    // WHEN
    const read = () => readDeployerSettings({ [DEPLOYER_ENV.VARIANT_TYPE]: 'instance' });

    // THEN
    expect(read).toThrow(DeployerSettingsError);
    expect(read).toThrow(/^invalid deployer settings \(13\):\n {2}- ENDPOINT_NAME is missing: expected 1-63 letters, digits and hyphens/);
    expect(problemsOf({ [DEPLOYER_ENV.VARIANT_TYPE]: 'instance' })).toEqual([
      'ENDPOINT_NAME is missing: expected 1-63 letters, digits and hyphens, starting and ending with a letter or digit',
      'MODEL_PACKAGE_GROUP_NAME is missing: expected 1-63 letters, digits and hyphens, starting and ending with a letter or digit',
      'MODEL_EXECUTION_ROLE_ARN is missing: expected an IAM role ARN',
      'INSTANCE_TYPE is missing: expected an ML instance type such as ml.m5.large',
      'INITIAL_INSTANCE_COUNT is missing: expected an integer from 1 to 1000',
      'MIN_CAPACITY is missing: expected an integer from 1 to 1000',
      'MAX_CAPACITY is missing: expected an integer from 1 to 1000',
      'TARGET_INVOCATIONS_PER_INSTANCE is missing: expected a number greater than 0',
      'DATA_CAPTURE_S3_URI is missing: expected an S3 URI such as s3://bucket/capture/',
      'DATA_CAPTURE_PERCENT is missing: expected an integer from 1 to 100',
      'DEPLOYMENT_STRATEGY is missing: expected one of all-at-once, canary, linear',
      'WAIT_INTERVAL_SECONDS is missing: expected an integer from 0 to 3600',
      'MAX_EXECUTION_TIMEOUT_SECONDS is missing: expected an integer from 600 to 14400',
    ]);
  });

  test('fails when VARIANT_TYPE is missing or unknown', () => {
    // WHEN / THEN
    expect(problemsOf(COMMON)).toEqual(['VARIANT_TYPE is missing: expected one of instance, serverless']);
    expect(problemsOf({ ...COMMON, [DEPLOYER_ENV.VARIANT_TYPE]: 'gpu' })).toEqual(['VARIANT_TYPE is "gpu": expected one of instance, serverless']);
  });

  test('fails when values are invalid, saying the value received and what is expected', () => {
    // WHEN
    const problems = problemsOf({
      ...INSTANCE_ENV,
      [DEPLOYER_ENV.ENDPOINT_NAME]: 'churn_prod',
      [DEPLOYER_ENV.MODEL_EXECUTION_ROLE_ARN]: 'model-execution',
      [DEPLOYER_ENV.INSTANCE_TYPE]: 'm5.large',
      [DEPLOYER_ENV.DATA_CAPTURE_S3_URI]: 'https://churn-data/capture/',
      [DEPLOYER_ENV.DATA_CAPTURE_PERCENT]: '150',
      [DEPLOYER_ENV.TARGET_INVOCATIONS_PER_INSTANCE]: '0',
      [DEPLOYER_ENV.WAIT_INTERVAL_SECONDS]: '1.5',
      [DEPLOYER_ENV.MAX_EXECUTION_TIMEOUT_SECONDS]: '60',
      [DEPLOYER_ENV.SUBNET_IDS]: 'subnet-0a1,vpc-123',
    });

    // THEN
    expect(problems).toEqual([
      'ENDPOINT_NAME is "churn_prod": expected 1-63 letters, digits and hyphens, starting and ending with a letter or digit',
      'MODEL_EXECUTION_ROLE_ARN is "model-execution": expected an IAM role ARN',
      'INSTANCE_TYPE is "m5.large": expected an ML instance type such as ml.m5.large',
      'TARGET_INVOCATIONS_PER_INSTANCE is "0": expected a number greater than 0',
      'DATA_CAPTURE_S3_URI is "https://churn-data/capture/": expected an S3 URI such as s3://bucket/capture/',
      'DATA_CAPTURE_PERCENT is "150": expected an integer from 1 to 100',
      'WAIT_INTERVAL_SECONDS is "1.5": expected an integer from 0 to 3600',
      'MAX_EXECUTION_TIMEOUT_SECONDS is "60": expected an integer from 600 to 14400',
      'SUBNET_IDS is "subnet-0a1,vpc-123": expected 1-16 comma-separated subnet IDs',
    ]);
  });

  test('fails when the endpoint name is longer than 63 characters', () => {
    // WHEN / THEN
    expect(problemsOf({ ...SERVERLESS_ENV, [DEPLOYER_ENV.ENDPOINT_NAME]: 'a'.repeat(64) })).toEqual([
      expect.stringMatching(/^ENDPOINT_NAME is "a{64}": expected 1-63 letters/),
    ]);
  });

  test('fails when capacities contradict each other', () => {
    // WHEN / THEN
    expect(
      problemsOf({ ...INSTANCE_ENV, [DEPLOYER_ENV.MIN_CAPACITY]: '5', [DEPLOYER_ENV.MAX_CAPACITY]: '3', [DEPLOYER_ENV.INITIAL_INSTANCE_COUNT]: '4' }),
    ).toEqual(['MIN_CAPACITY (5) is greater than MAX_CAPACITY (3)', 'INITIAL_INSTANCE_COUNT (4) is outside MIN_CAPACITY..MAX_CAPACITY (5..3)']);
    expect(problemsOf({ ...INSTANCE_ENV, [DEPLOYER_ENV.INITIAL_INSTANCE_COUNT]: '1' })).toEqual([
      'INITIAL_INSTANCE_COUNT (1) is outside MIN_CAPACITY..MAX_CAPACITY (2..4)',
    ]);
  });

  test('fails when only one of SUBNET_IDS and SECURITY_GROUP_IDS is set', () => {
    // WHEN / THEN
    expect(problemsOf({ ...INSTANCE_ENV, [DEPLOYER_ENV.SECURITY_GROUP_IDS]: undefined })).toEqual([
      'SUBNET_IDS and SECURITY_GROUP_IDS must be set together or not at all',
    ]);
  });

  test('fails when the traffic step does not fit the strategy', () => {
    // WHEN / THEN
    expect(problemsOf({ ...INSTANCE_ENV, [DEPLOYER_ENV.TRAFFIC_STEP_PERCENT]: undefined })).toEqual([
      'TRAFFIC_STEP_PERCENT is missing: expected an integer from 1 to 50',
    ]);
    expect(problemsOf({ ...INSTANCE_ENV, [DEPLOYER_ENV.DEPLOYMENT_STRATEGY]: 'linear', [DEPLOYER_ENV.TRAFFIC_STEP_PERCENT]: '5' })).toEqual([
      'TRAFFIC_STEP_PERCENT is "5": expected an integer from 10 to 50',
    ]);
    expect(problemsOf({ ...INSTANCE_ENV, [DEPLOYER_ENV.DEPLOYMENT_STRATEGY]: 'all-at-once' })).toEqual([
      'TRAFFIC_STEP_PERCENT is "10" but must not be set when DEPLOYMENT_STRATEGY is all-at-once',
    ]);
  });

  test('fails when more than 10 rollback alarms are named', () => {
    // GIVEN
    const alarms = Array.from({ length: 11 }, (_, index) => `alarm-${index}`).join(',');

    // WHEN / THEN
    expect(problemsOf({ ...INSTANCE_ENV, [DEPLOYER_ENV.ROLLBACK_ALARM_NAMES]: alarms })).toEqual([
      `ROLLBACK_ALARM_NAMES is "${alarms}": expected 1-10 comma-separated alarm names`,
    ]);
  });

  test('fails when instance-only variables are set for a serverless variant', () => {
    // WHEN
    const problems = problemsOf({
      ...SERVERLESS_ENV,
      [DEPLOYER_ENV.DATA_CAPTURE_S3_URI]: 's3://churn-data/capture/',
      [DEPLOYER_ENV.SUBNET_IDS]: 'subnet-0a1',
    });

    // THEN
    expect(problems).toEqual([
      expect.stringMatching(/^DATA_CAPTURE_S3_URI is "s3:\/\/churn-data\/capture\/" but must not be set when VARIANT_TYPE is serverless \(SageMaker supports no VPC, data capture/),
      expect.stringMatching(/^SUBNET_IDS is "subnet-0a1" but must not be set when VARIANT_TYPE is serverless/),
    ]);
  });

  test('fails when serverless settings are out of range or set for an instance variant', () => {
    // WHEN / THEN
    expect(problemsOf({ ...SERVERLESS_ENV, [DEPLOYER_ENV.SERVERLESS_MEMORY_MB]: '1500', [DEPLOYER_ENV.SERVERLESS_MAX_CONCURRENCY]: '500' })).toEqual([
      'SERVERLESS_MEMORY_MB is "1500": expected one of 1024, 2048, 3072, 4096, 5120, 6144',
      'SERVERLESS_MAX_CONCURRENCY is "500": expected an integer from 1 to 200',
    ]);
    expect(problemsOf({ ...INSTANCE_ENV, [DEPLOYER_ENV.SERVERLESS_MEMORY_MB]: '2048' })).toEqual([
      'SERVERLESS_MEMORY_MB is "2048" but must not be set when VARIANT_TYPE is instance',
    ]);
  });

  describe('monitoring', () => {
    test('reads the data-quality schedule settings of an instance variant', () => {
      // WHEN
      const settings = readDeployerSettings({ ...INSTANCE_ENV, ...MONITORING_ENV });

      // THEN
      expect(settings.variant).toMatchObject({
        monitoring: {
          scheduleName: 'churn-prod-data-quality',
          scheduleExpression: 'cron(0 * ? * * *)',
          imageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
          roleArn: 'arn:aws:iam::111122223333:role/monitoring',
          outputS3Uri: 's3://churn-data/monitoring/',
          instanceType: 'ml.m5.large',
        },
      });
      expect(monitoringOffReason(settings)).toBeUndefined();
    });

    test.each(['cron(0 * ? * * *)', 'cron(0 0 ? * * *)', 'cron(0 12 ? * * *)', 'cron(0 23 ? * * *)', 'cron(0 07 ? * * *)'])(
      'accepts the schedule expression %s',
      (expression) => {
        // WHEN
        const settings = readDeployerSettings({ ...INSTANCE_ENV, ...MONITORING_ENV, [DEPLOYER_ENV.MONITORING_SCHEDULE_EXPRESSION]: expression });

        // THEN
        expect(settings.variant).toMatchObject({ monitoring: { scheduleExpression: expression } });
      },
    );

    test('is off when no MONITORING_* variable is set, and says why', () => {
      // WHEN
      const instance = readDeployerSettings(INSTANCE_ENV);
      const serverless = readDeployerSettings(SERVERLESS_ENV);

      // THEN
      expect(instance.variant).toMatchObject({ monitoring: undefined });
      expect(monitoringOffReason(instance)).toBe('no MONITORING_* variables are set');
      expect(monitoringOffReason(serverless)).toBe('serverless endpoints capture no data for Model Monitor to analyse');
    });

    test('fails when only some MONITORING_* variables are set, naming each missing one', () => {
      // WHEN
      const problems = problemsOf({
        ...INSTANCE_ENV,
        [DEPLOYER_ENV.MONITORING_SCHEDULE_NAME]: 'churn-prod-data-quality',
        [DEPLOYER_ENV.MONITORING_ROLE_ARN]: 'arn:aws:iam::111122223333:role/monitoring',
      });

      // THEN
      const because = '(MONITORING_SCHEDULE_NAME, MONITORING_ROLE_ARN are set; set all MONITORING_* variables or none)';
      expect(problems).toEqual([
        `MONITORING_SCHEDULE_EXPRESSION is missing: expected cron(0 * ? * * *) for hourly or cron(0 H ? * * *) with H from 0 to 23 for daily, e.g. cron(0 0 ? * * *) ${because}`,
        `MONITORING_IMAGE_URI is missing: expected an ECR image URI such as 156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer ${because}`,
        `MONITORING_OUTPUT_S3_URI is missing: expected an S3 URI ending in /, such as s3://bucket/monitoring/ ${because}`,
        `MONITORING_INSTANCE_TYPE is missing: expected an ML instance type such as ml.m5.large ${because}`,
      ]);
    });

    test('fails when monitoring values are invalid, saying the value received and what is expected', () => {
      // WHEN
      const problems = problemsOf({
        ...INSTANCE_ENV,
        [DEPLOYER_ENV.MONITORING_SCHEDULE_NAME]: 'churn_prod_data_quality',
        [DEPLOYER_ENV.MONITORING_SCHEDULE_EXPRESSION]: 'rate(1 hour)',
        [DEPLOYER_ENV.MONITORING_IMAGE_URI]: 'sagemaker-model-monitor-analyzer:latest',
        [DEPLOYER_ENV.MONITORING_ROLE_ARN]: 'monitoring',
        [DEPLOYER_ENV.MONITORING_OUTPUT_S3_URI]: 's3://churn-data/monitoring',
        [DEPLOYER_ENV.MONITORING_INSTANCE_TYPE]: 'm5.large',
      });

      // THEN
      expect(problems).toEqual([
        'MONITORING_SCHEDULE_NAME is "churn_prod_data_quality": expected 1-63 letters, digits and hyphens, starting and ending with a letter or digit',
        'MONITORING_SCHEDULE_EXPRESSION is "rate(1 hour)": expected cron(0 * ? * * *) for hourly or cron(0 H ? * * *) with H from 0 to 23 for daily, e.g. cron(0 0 ? * * *)',
        'MONITORING_IMAGE_URI is "sagemaker-model-monitor-analyzer:latest": expected an ECR image URI such as 156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
        'MONITORING_ROLE_ARN is "monitoring": expected an IAM role ARN',
        'MONITORING_OUTPUT_S3_URI is "s3://churn-data/monitoring": expected an S3 URI ending in /, such as s3://bucket/monitoring/',
        'MONITORING_INSTANCE_TYPE is "m5.large": expected an ML instance type such as ml.m5.large',
      ]);
    });

    test.each(['NOW', 'cron(0 0/6 ? * * *)', 'cron(0 24 ? * * *)', 'cron(30 * ? * * *)', 'cron(0 * * * ? *)'])(
      'fails when the schedule expression is %s, which is not an hourly or daily form',
      (expression) => {
        // WHEN / THEN
        expect(problemsOf({ ...INSTANCE_ENV, ...MONITORING_ENV, [DEPLOYER_ENV.MONITORING_SCHEDULE_EXPRESSION]: expression })).toEqual([
          expect.stringMatching(/^MONITORING_SCHEDULE_EXPRESSION is ".*": expected cron\(0 \* \? \* \* \*\) for hourly/),
        ]);
      },
    );

    test('fails when MONITORING_* variables are set for a serverless variant', () => {
      // WHEN
      const problems = problemsOf({ ...SERVERLESS_ENV, ...MONITORING_ENV });

      // THEN
      expect(problems).toHaveLength(6);
      expect(problems[0]).toBe(
        'MONITORING_SCHEDULE_NAME is "churn-prod-data-quality" but must not be set when VARIANT_TYPE is serverless ' +
          '(SageMaker supports no VPC, data capture, Model Monitor, blue/green or instance autoscaling there)',
      );
    });
  });
  describe('model quality', () => {
    const MODEL_QUALITY_ENV = {
      [DEPLOYER_ENV.MODEL_QUALITY_SCHEDULE_NAME]: 'churn-prod-model-quality',
      [DEPLOYER_ENV.MODEL_QUALITY_SCHEDULE_EXPRESSION]: 'cron(0 0 ? * * *)',
      [DEPLOYER_ENV.MODEL_QUALITY_PROBLEM_TYPE]: 'BinaryClassification',
      [DEPLOYER_ENV.MODEL_QUALITY_GROUND_TRUTH_S3_URI]: 's3://churn-data/ground-truth/',
      [DEPLOYER_ENV.MODEL_QUALITY_START_TIME_OFFSET]: '-PT48H',
      [DEPLOYER_ENV.MODEL_QUALITY_END_TIME_OFFSET]: '-PT24H',
    };

    test('reads the model-quality schedule beside the data-quality one; a binary classifier defaults to a 0.5 threshold', () => {
      // WHEN
      const settings = readDeployerSettings({ ...INSTANCE_ENV, ...MONITORING_ENV, ...MODEL_QUALITY_ENV });

      // THEN
      expect(settings.variant).toMatchObject({
        monitoring: {
          scheduleName: 'churn-prod-data-quality',
          modelQuality: {
            scheduleName: 'churn-prod-model-quality',
            scheduleExpression: 'cron(0 0 ? * * *)',
            problemType: 'BinaryClassification',
            groundTruthS3Uri: 's3://churn-data/ground-truth/',
            startTimeOffset: '-PT48H',
            endTimeOffset: '-PT24H',
            probabilityThreshold: 0.5,
          },
        },
      });
    });

    test('is off when no MODEL_QUALITY_* variable is set', () => {
      // WHEN
      const settings = readDeployerSettings({ ...INSTANCE_ENV, ...MONITORING_ENV });

      // THEN
      expect(settings.variant).toMatchObject({ monitoring: { modelQuality: undefined } });
    });

    test('reads a probability threshold, and no threshold for a regression model', () => {
      // WHEN
      const binary = readDeployerSettings({ ...INSTANCE_ENV, ...MONITORING_ENV, ...MODEL_QUALITY_ENV, [DEPLOYER_ENV.MODEL_QUALITY_PROBABILITY_THRESHOLD]: '0.7' });
      const regression = readDeployerSettings({ ...INSTANCE_ENV, ...MONITORING_ENV, ...MODEL_QUALITY_ENV, [DEPLOYER_ENV.MODEL_QUALITY_PROBLEM_TYPE]: 'Regression' });

      // THEN
      expect(binary.variant).toMatchObject({ monitoring: { modelQuality: { probabilityThreshold: 0.7 } } });
      expect(regression.variant).toMatchObject({ monitoring: { modelQuality: { problemType: 'Regression', probabilityThreshold: undefined } } });
    });

    test('fails when only some MODEL_QUALITY_* variables are set, naming each missing one', () => {
      // WHEN
      const problems = problemsOf({
        ...INSTANCE_ENV,
        ...MONITORING_ENV,
        [DEPLOYER_ENV.MODEL_QUALITY_SCHEDULE_NAME]: 'churn-prod-model-quality',
      });

      // THEN
      const because = '(MODEL_QUALITY_SCHEDULE_NAME is set; set all MODEL_QUALITY_* variables or none)';
      expect(problems).toEqual([
        `MODEL_QUALITY_SCHEDULE_EXPRESSION is missing: expected cron(0 * ? * * *) for hourly or cron(0 H ? * * *) with H from 0 to 23 for daily, e.g. cron(0 0 ? * * *) ${because}`,
        `MODEL_QUALITY_PROBLEM_TYPE is missing: expected one of BinaryClassification, MulticlassClassification, Regression ${because}`,
        `MODEL_QUALITY_GROUND_TRUTH_S3_URI is missing: expected an S3 URI ending in /, such as s3://bucket/monitoring/ ${because}`,
        `MODEL_QUALITY_START_TIME_OFFSET is missing: expected an ISO 8601 offset of whole hours back, such as -PT24H ${because}`,
        `MODEL_QUALITY_END_TIME_OFFSET is missing: expected an ISO 8601 offset of whole hours back, such as -PT24H ${because}`,
      ]);
    });

    test('fails when model-quality values are invalid, saying the value received and what is expected', () => {
      // WHEN
      const problems = problemsOf({
        ...INSTANCE_ENV,
        ...MONITORING_ENV,
        ...MODEL_QUALITY_ENV,
        [DEPLOYER_ENV.MODEL_QUALITY_PROBLEM_TYPE]: 'binary',
        [DEPLOYER_ENV.MODEL_QUALITY_START_TIME_OFFSET]: '-P2D',
        [DEPLOYER_ENV.MODEL_QUALITY_PROBABILITY_THRESHOLD]: '1.5',
      });

      // THEN
      expect(problems).toEqual([
        'MODEL_QUALITY_PROBLEM_TYPE is "binary": expected one of BinaryClassification, MulticlassClassification, Regression',
        'MODEL_QUALITY_START_TIME_OFFSET is "-P2D": expected an ISO 8601 offset of whole hours back, such as -PT24H',
      ]);
      expect(problemsOf({ ...INSTANCE_ENV, ...MONITORING_ENV, ...MODEL_QUALITY_ENV, [DEPLOYER_ENV.MODEL_QUALITY_PROBABILITY_THRESHOLD]: '1.5' })).toEqual([
        'MODEL_QUALITY_PROBABILITY_THRESHOLD is "1.5": expected a probability from 0 to 1, such as 0.5',
      ]);
    });

    test('fails when a window ends before it starts, or a threshold is given for a multiclass model', () => {
      // WHEN
      const problems = problemsOf({
        ...INSTANCE_ENV,
        ...MONITORING_ENV,
        ...MODEL_QUALITY_ENV,
        [DEPLOYER_ENV.MODEL_QUALITY_PROBLEM_TYPE]: 'MulticlassClassification',
        [DEPLOYER_ENV.MODEL_QUALITY_START_TIME_OFFSET]: '-PT24H',
        [DEPLOYER_ENV.MODEL_QUALITY_PROBABILITY_THRESHOLD]: '0.5',
      });

      // THEN
      expect(problems).toEqual([
        'MODEL_QUALITY_PROBABILITY_THRESHOLD is "0.5" but must not be set when MODEL_QUALITY_PROBLEM_TYPE is MulticlassClassification',
        'MODEL_QUALITY_START_TIME_OFFSET (-PT24H) must reach further back than MODEL_QUALITY_END_TIME_OFFSET (-PT24H), or the jobs analyse an empty window',
      ]);
    });

    test('fails when MODEL_QUALITY_* variables are set without the MONITORING_* ones it runs with', () => {
      // WHEN / THEN
      expect(problemsOf({ ...INSTANCE_ENV, ...MODEL_QUALITY_ENV })).toEqual([
        expect.stringMatching(/^MODEL_QUALITY_SCHEDULE_NAME, .*MODEL_QUALITY_END_TIME_OFFSET are set without the MONITORING_\* variables: the model-quality jobs run with their image, role/),
      ]);
    });

    test('fails when MODEL_QUALITY_* variables are set for a serverless variant', () => {
      // WHEN
      const problems = problemsOf({ ...SERVERLESS_ENV, ...MODEL_QUALITY_ENV });

      // THEN
      expect(problems).toHaveLength(6);
      expect(problems[0]).toMatch(/^MODEL_QUALITY_SCHEDULE_NAME is "churn-prod-model-quality" but must not be set when VARIANT_TYPE is serverless/);
    });
  });

});
