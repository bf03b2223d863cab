import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListModelPackagesCommand } from '@aws-sdk/client-sagemaker';
import { loadStageConfig } from '../../lib/config-loader';
import { awsError, mockEndpoint, REPO_ROOT, resetMocks, runRecorded, sagemakerMock } from './cli-fixtures';

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
        'Known stages: dev, prod, staging. Run from the project folder, or pass --config FILE.\n',
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
  writeFileSync(invalid, JSON.stringify({ project: 'Churn', stage: 'qa', training: { metricName: 'rmse' }, extra: true }));

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
        `cdk-mlops: ${invalid} is invalid (3 problems):`,
        '  - project: received "Churn"; expected lower-case letters, digits and hyphens, starting with a letter',
        '  - training.metricName: received "rmse"; expected one of auc, accuracy, precision, recall, f1',
        '  - extra: unknown key; remove it or check its spelling against config/schema.json',
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

  test('fails when --config and --stage disagree, with exit 2', async () => {
    // WHEN
    const run = await runRecorded(['config', 'show', '--config', 'config/prod.json', '--stage', 'dev']);
    // THEN
    expect(run).toMatchObject({ exitCode: 2, stderr: 'cdk-mlops: config/prod.json declares stage "prod" but --stage is "dev": drop one of them\n' });
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
