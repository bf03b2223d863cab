import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyFileSync } from 'node:fs';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeEndpointCommand, ListModelPackagesCommand, ListPipelineExecutionsCommand, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import 'aws-sdk-client-mock-jest';
import { loadStageConfig } from '../../lib/config-loader';
import { awsError, cloudwatchMock, mockEndpoint, mockPackages, outsideDirectory, REPO_ROOT, resetMocks, runRecorded, sagemakerMock } from './cli-fixtures';

beforeEach(() => {
  resetMocks();
  mockEndpoint(undefined);
});

describe('help and usage', () => {
  test('--help lists the commands and the exit codes, with exit 0', async () => {
    // WHEN
    const run = await runRecorded(['--help']);
    // THEN
    expect(run.exitCode).toBe(0);
    for (const command of ['status', 'models', 'approve', 'reject', 'retrain', 'rollback', 'config']) {
      expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
    expect(run.stdout).toMatch(/^Exit codes:\n  0  done/m);
    expect(run.stdout).toMatch(/^  4  not found or refused/m);
  });

  test('--help lists the name flags and says where names come from', async () => {
    // WHEN
    const run = await runRecorded(['--help']);
    // THEN
    for (const flag of ['--pipeline-name <name>', '--model-package-group <name>', '--endpoint-name <name>', '--alarm-name-prefix <prefix>', '--metric-name <name>']) {
      expect(run.stdout).toContain(`  ${flag}`);
    }
    expect(run.stdout).toMatch(/^Which resources:\n {2}The commands act on the resources a stage config names: --config FILE/m);
    expect(run.stdout).toContain('A name flag wins over the name the config derives.');
  });

  test.each([['status'], ['models', 'list'], ['approve'], ['retrain'], ['rollback'], ['config', 'validate']])(
    '%s --help shows its own and the global options, with exit 0',
    async (...command) => {
      // WHEN
      const run = await runRecorded([...command, '--help']);
      // THEN
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: cdk-mlops ${command.join(' ')}`));
      expect(run.stdout).toMatch(/--endpoint-url <url>/);
    },
  );

  test.each([
    [['bogus'], /unknown command 'bogus'/],
    [['status', '--bogus'], /unknown option '--bogus'/],
    [['approve'], /missing required argument 'version'/],
    [['models', 'show', '1', '2'], /too many arguments for 'show'/],
  ])('fails on %p with the reason and exit 2', async (args, message) => {
    // WHEN
    const run = await runRecorded(args);
    // THEN
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/\(add --help for usage\)/);
  });

  test('a command group without a subcommand shows its help, with exit 2', async () => {
    // WHEN
    const run = await runRecorded(['models']);
    // THEN
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/^Usage: cdk-mlops models/);
  });
});

describe('stage selection', () => {
  test('fails for an unknown stage, naming the known ones, with exit 2 and no AWS call', async () => {
    // WHEN
    const run = await runRecorded(['status', '--stage', 'qa']);
    // THEN
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(
      `cdk-mlops: unknown stage "qa": there is no ${join(REPO_ROOT, 'config', 'qa.json')}. ` +
        'Known stages: dev, prod, staging. Run from the project folder, or pass --config FILE ' +
        '(or the resource names: --pipeline-name, --model-package-group, --endpoint-name).\n',
    );
    expect(sagemakerMock.calls()).toHaveLength(0);
  });

  test('--stage selects the resource names of that stage', async () => {
    // GIVEN
    sagemakerMock.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [] });
    // WHEN
    await runRecorded(['models', 'list', '--stage', 'prod']);
    // THEN
    expect(sagemakerMock.commandCalls(ListModelPackagesCommand)[0].args[0].input).toMatchObject({ ModelPackageGroupName: 'churn-prod-models' });
  });
});

describe('config validate and config show', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cdk-mlops-cli-'));
  const invalid = join(dir, 'invalid.json');
  writeFileSync(invalid, JSON.stringify({ project: 'Churn', stage: 'qa', training: { metricName: 'rmse' }, review: { checks: [{ metric: 'rmse', threshold: 5 }] }, extra: true }));

  test('a valid file prints its stage and resource names, with exit 0', async () => {
    // WHEN
    const run = await runRecorded(['config', 'validate', 'config/prod.json']);
    // THEN
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^${join(REPO_ROOT, 'config', 'prod.json')} is valid: stage prod of churn in us-east-1\n`));
    expect(run.stdout).toMatch(/^modelPackageGroup +churn-prod-models$/m);
  });

  test('--json prints the validation document', async () => {
    // WHEN
    const run = await runRecorded(['config', 'validate', 'config/dev.json', '--json']);
    // THEN
    expect(JSON.parse(run.stdout)).toEqual({
      file: join(REPO_ROOT, 'config', 'dev.json'),
      valid: true,
      project: 'churn',
      stage: 'dev',
      region: 'us-east-1',
      names: {
        prefix: 'churn-dev',
        pipeline: 'churn-dev-pipeline',
        modelPackageGroup: 'churn-dev-models',
        endpoint: 'churn-dev-endpoint',
        dataQualitySchedule: 'churn-dev-data-quality',
        modelQualitySchedule: 'churn-dev-model-quality',
      },
    });
  });

  test('fails for an invalid file, listing every problem, with exit 2', async () => {
    // WHEN
    const run = await runRecorded(['config', 'validate', invalid]);
    // THEN
    expect(run).toMatchObject({ exitCode: 2, stdout: '' });
    expect(run.stderr).toBe(
      [
        `cdk-mlops: ${invalid} is invalid (4 problems):`,
        '  - project: received "Churn"; expected lower-case letters, digits and hyphens, starting with a letter',
        '  - training.metricName: moved: the review gate now holds the checks; write review.checks: [{ "metric": <this value>, "threshold": <training.metricThreshold> }]',
        '  - extra: unknown key; remove it or check its spelling against config/schema.json',
        '  - review.checks[0].metric: received "rmse"; expected a binary metric (auc, accuracy, precision, recall, f0_5, f1, f2, true_positive_rate, true_negative_rate, false_positive_rate, false_negative_rate, CI, DPL, KL, JS, LP, TVD, KS)',
        '',
      ].join('\n'),
    );
  });

  test('fails for a file that does not exist, with exit 2', async () => {
    // WHEN
    const run = await runRecorded(['config', 'validate', join(dir, 'missing.json')]);
    // THEN
    expect(run).toMatchObject({ exitCode: 2, stderr: `cdk-mlops: config file ${join(dir, 'missing.json')} does not exist\n` });
  });

  test('config show --json prints the validated config with its defaults', async () => {
    // WHEN
    const run = await runRecorded(['config', 'show', '--stage', 'staging', '--json']);
    // THEN
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(loadStageConfig({ stage: 'staging' }));
  });

  test('config show prints one line per setting, defaults included', async () => {
    // WHEN
    const run = await runRecorded(['config', 'show']);
    // THEN
    expect(run.stdout).toMatch(/^SETTING +VALUE$/m);
    expect(run.stdout).toMatch(/^stage +dev$/m);
    expect(run.stdout).toMatch(/^retraining\.cooldownMinutes +60$/m);
    expect(run.stdout).toMatch(/^monitoring\.alarmEmails +\(none\)$/m);
  });

  test('config show --config reads a file outside the repository from any working directory', async () => {
    // GIVEN
    const file = join(outsideDirectory(), 'churn-dev.json');
    copyFileSync(join(REPO_ROOT, 'config', 'dev.json'), file);
    // WHEN
    const run = await runRecorded(['config', 'show', '--config', file, '--json'], { cwd: outsideDirectory() });
    // THEN
    expect(run).toMatchObject({ exitCode: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual(loadStageConfig({ stage: 'dev' }));
  });

  test.each([
    ['agree', 'prod'],
    ['disagree', 'dev'],
  ])('fails when --config and --stage are both given (they %s), with exit 2 and no AWS call', async (_case, stage) => {
    // WHEN
    const [show, list] = await Promise.all([
      runRecorded(['config', 'show', '--config', 'config/prod.json', '--stage', stage]),
      runRecorded(['models', 'list', '--config', 'config/prod.json', '--stage', stage]),
    ]);
    // THEN
    for (const run of [show, list]) {
      expect(run).toMatchObject({
        exitCode: 2,
        stdout: '',
        stderr:
          `cdk-mlops: --stage "${stage}" and --config "config/prod.json" cannot be used together: a config file names its stage itself ` +
          '(its "stage" key). Pass only --config FILE, or only --stage NAME for config/NAME.json under the working directory\n',
      });
    }
    expect(sagemakerMock.calls()).toHaveLength(0);
  });
});

describe('resource names from flags', () => {
  // A stack of the user's own, composed from the constructs with its own names, operated from outside the repository.
  const OWN = ['--pipeline-name', 'fraud-training', '--model-package-group', 'fraud-models', '--endpoint-name', 'fraud-live', '--region', 'eu-west-1'];

  test('a name flag overrides the name the stage config derives, the others stay derived', async () => {
    // GIVEN
    sagemakerMock.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [] });
    // WHEN
    const run = await runRecorded(['models', 'list', '--config', 'config/prod.json', '--model-package-group', 'churn-prod-models-v2']);
    // THEN
    expect(run.exitCode).toBe(0);
    expect(sagemakerMock).toHaveReceivedCommandWith(ListModelPackagesCommand, { ModelPackageGroupName: 'churn-prod-models-v2' });
    expect(sagemakerMock).toHaveReceivedCommandWith(DescribeEndpointCommand, { EndpointName: 'churn-prod-endpoint' });
  });

  test('models list and approve act on the flags\' names without any stage config, with the flags\' metric', async () => {
    // GIVEN
    mockPackages([{ version: 1, approval: 'PendingManualApproval', auc: '0.8' }]);
    sagemakerMock.on(UpdateModelPackageCommand).resolves({});
    const cwd = outsideDirectory();
    // WHEN
    const list = await runRecorded(['models', 'list', ...OWN, '--metric-name', 'auc', '--json'], { cwd });
    const approve = await runRecorded(['approve', '1', '--model-package-group', 'fraud-models', '--region', 'eu-west-1'], { cwd });
    // THEN
    expect(list).toMatchObject({ exitCode: 0, stderr: '' });
    expect(JSON.parse(list.stdout)).toMatchObject({ group: 'fraud-models', metricName: 'auc', packages: [{ version: 1, metric: { name: 'auc', value: '0.8' } }] });
    expect(sagemakerMock).toHaveReceivedCommandWith(ListModelPackagesCommand, { ModelPackageGroupName: 'fraud-models' });
    expect(sagemakerMock).toHaveReceivedCommandWith(DescribeEndpointCommand, { EndpointName: 'fraud-live' });
    expect(approve).toMatchObject({ exitCode: 0, stderr: '' });
    expect(approve.stdout).toMatch(/^version 1: PendingManualApproval -> Approved .*; the deployer keeps the endpoint on the newest approved version\n$/);
    expect(await sagemakerMock.call(0).thisValue.config.region()).toBe('eu-west-1');
  });

  test('status without a stage config shows the region and checks alarms only with --alarm-name-prefix', async () => {
    // GIVEN
    mockPackages([]);
    sagemakerMock.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: [] });
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
    const cwd = outsideDirectory();
    // WHEN
    const unchecked = await runRecorded(['status', ...OWN], { cwd });
    const uncheckedJson = await runRecorded(['status', ...OWN, '--json'], { cwd });
    expect(cloudwatchMock.calls()).toHaveLength(0);
    const checked = await runRecorded(['status', ...OWN, '--alarm-name-prefix', 'FraudStack-'], { cwd });
    // THEN
    expect(unchecked).toMatchObject({ exitCode: 0, stderr: '' });
    expect(unchecked.stdout).toMatch(/^In eu-west-1\n\nPipeline fraud-training\n/);
    expect(unchecked.stdout).toContain("Alarms in ALARM\n  not checked: pass --alarm-name-prefix (CDK names a stack's alarms <stack name>-...)\n");
    expect(JSON.parse(uncheckedJson.stdout)).toMatchObject({ project: null, stage: null, region: 'eu-west-1', alarms: { namePrefix: null, firing: null } });
    expect(checked.stdout).toContain('Alarms in ALARM (names starting FraudStack-)\n  none firing\n');
    expect(cloudwatchMock).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNamePrefix: 'FraudStack-' });
    expect(sagemakerMock).toHaveReceivedCommandWith(ListPipelineExecutionsCommand, { PipelineName: 'fraud-training' });
  });

  test.each([
    [['status', '--endpoint-name', 'fraud-live'], 'status acts on the SageMaker pipeline and the model package group', '--pipeline-name NAME and --model-package-group NAME'],
    [['models', 'show', '3', '--model-package-group', 'fraud-models'], 'models show acts on the endpoint', '--endpoint-name NAME'],
    [['rollback', '--yes', '--endpoint-name', 'fraud-live'], 'rollback acts on the model package group', '--model-package-group NAME'],
    [['retrain', '--endpoint-name', 'fraud-live'], 'retrain acts on the SageMaker pipeline', '--pipeline-name NAME'],
  ])('fails on %p without a name it needs, saying which flag gives it, with exit 2 and no AWS call', async (args, needs, flags) => {
    // WHEN
    const run = await runRecorded([...args, '--region', 'eu-west-1'], { cwd: outsideDirectory() });
    // THEN
    expect(run).toMatchObject({ exitCode: 2, stdout: '' });
    expect(run.stderr).toBe(
      `cdk-mlops: ${needs}, and no flag names ${flags.includes(' and ') ? 'them' : 'it'}: pass ${flags}, or --config FILE (or --stage NAME) ` +
        'to derive every name from a stage config\n',
    );
    expect(sagemakerMock.calls()).toHaveLength(0);
  });

  test.each([
    ['--pipeline-name', 'fraud training', "expected the name of a SageMaker pipeline: 1-256 letters, digits and hyphens, starting and ending with a letter or digit (got 14 characters)"],
    ['--model-package-group', 'fraud_models', 'expected the name of a SageMaker model package group: 1-63 letters, digits and hyphens, starting and ending with a letter or digit (got 12 characters)'],
    ['--endpoint-name', 'e'.repeat(64), 'expected the name of a SageMaker endpoint: 1-63 letters, digits and hyphens, starting and ending with a letter or digit (got 64 characters)'],
    ['--alarm-name-prefix', '', 'expected the start of alarm names: 1-255 characters (got 0)'],
    ['--metric-name', 'AUC', 'expected a metric of evaluation.json (binary_classification_metrics.<name>): lower-case letters, digits and underscores, such as auc'],
    ['--region', 'europe', 'expected an AWS region such as us-east-1'],
    ['--endpoint-url', '127.0.0.1:5000', 'expected an http:// or https:// URL such as http://127.0.0.1:5000'],
  ])('fails when %s is %p, naming the flag, the value and what is expected, with exit 2', async (flag, value, expected) => {
    // WHEN
    const run = await runRecorded(['status', flag, value]);
    // THEN
    expect(run).toMatchObject({ exitCode: 2, stdout: '' });
    expect(run.stderr).toMatch(new RegExp(`^error: option '${flag} <[a-z]+>' argument '${value.replace(/[.]/g, '\\.')}' is invalid\\. `));
    expect(run.stderr).toContain(`is invalid. ${expected}\n(add --help for usage)\n`);
    expect(sagemakerMock.calls()).toHaveLength(0);
  });

  test('config names shows each name, the metric and the region with where they came from', async () => {
    // WHEN
    const derived = await runRecorded(['config', 'names', '--stage', 'prod', '--endpoint-name', 'churn-canary']);
    const own = await runRecorded(['config', 'names', ...OWN, '--json'], { cwd: outsideDirectory() });
    // THEN
    const file = join(REPO_ROOT, 'config', 'prod.json');
    expect(derived).toMatchObject({ exitCode: 0, stderr: '' });
    expect(derived.stdout).toBe(
      [
        `stage prod of churn (${file})`,
        'SETTING            VALUE                FROM',
        `pipeline           churn-prod-pipeline  ${file}`,
        `modelPackageGroup  churn-prod-models    ${file}`,
        'endpoint           churn-canary         --endpoint-name',
        `alarmNamePrefix    churn-prod-          ${file}`,
        `metricName         auc                  ${file} (review.checks[0])`,
        'region             us-east-1            the stage config',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(own.stdout)).toEqual({
      configFile: null,
      project: null,
      stage: null,
      names: {
        pipeline: { name: 'fraud-training', source: '--pipeline-name' },
        modelPackageGroup: { name: 'fraud-models', source: '--model-package-group' },
        endpoint: { name: 'fraud-live', source: '--endpoint-name' },
        alarmNamePrefix: { name: null, source: null },
      },
      metricName: { name: 'auc', source: "TrainingPipeline's default" },
      region: { name: 'eu-west-1', source: '--region' },
    });
  });
});

describe('AWS failures', () => {
  function credentialsError(): Error {
    return Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
  }

  test.each([
    ['missing credentials', credentialsError(), /^cdk-mlops: no AWS credentials found: set AWS_PROFILE or pass --profile, or run aws configure\n$/],
    ['expired credentials', awsError('ExpiredTokenException', 'The security token included in the request is expired'), /AWS rejected the credentials \(ExpiredTokenException: .*\): refresh them/],
    ['access denied', awsError('AccessDeniedException', 'User is not authorized to perform: sagemaker:ListModelPackages'), /^cdk-mlops: access denied: User is not authorized/],
    [
      'an unreachable endpoint',
      Object.assign(new Error('getaddrinfo ENOTFOUND api.sagemaker.us-east-1.amazonaws.com'), { code: 'ENOTFOUND' }),
      /^cdk-mlops: cannot reach AWS in us-east-1 \(getaddrinfo ENOTFOUND .*\): check the network and --region\n$/,
    ],
  ])('fails on %s with exit 3 and no stack trace', async (_case, error, message) => {
    // GIVEN
    sagemakerMock.on(ListModelPackagesCommand).rejects(error);
    // WHEN
    const run = await runRecorded(['models', 'list']);
    // THEN
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  test('names the profile when its credentials are missing', async () => {
    // GIVEN
    sagemakerMock.on(ListModelPackagesCommand).rejects(credentialsError());
    // WHEN
    const run = await runRecorded(['models', 'list', '--profile', 'ops']);
    // THEN
    expect(run.stderr).toMatch(/^cdk-mlops: no AWS credentials found for profile "ops": .*\(aws sso login --profile ops for SSO\)\n$/);
  });

  test('fails on an unexpected AWS error with exit 1, pointing at --debug', async () => {
    // GIVEN
    sagemakerMock.on(ListModelPackagesCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    // WHEN
    const run = await runRecorded(['models', 'list']);
    // THEN
    expect(run).toMatchObject({
      exitCode: 1,
      stderr: 'cdk-mlops: AWS answered ThrottlingException: Rate exceeded\n(run with --debug for the stack trace)\n',
    });
  });

  test('--debug prints the stack trace too', async () => {
    // GIVEN
    sagemakerMock.on(ListModelPackagesCommand).rejects(credentialsError());
    // WHEN
    const run = await runRecorded(['models', 'list', '--debug']);
    // THEN
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/^cdk-mlops: no AWS credentials found.*\nCredentialsProviderError: Could not load credentials from any providers\n\s+at /);
  });
});
