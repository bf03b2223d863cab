import { checkWiring, formatReport, WiringReport } from '../../lib/wiring/check';
import { StageTemplate, synthesizeStages } from '../../lib/wiring/stage-templates';
import { CfnResource, CfnTemplate } from '../../lib/resolved-template';

// The same check `npm run verify:wiring` runs, on every stage, and proof that it can fail: each
// mutation removes one statement a hand-off needs and the report must name that hand-off.

let stages: StageTemplate[];
beforeAll(() => {
  stages = synthesizeStages();
}, 120_000);

const stage = (name: string) => {
  const found = stages.find((s) => s.stage === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
};

/** A deep copy of the stage's template, changed by `mutate`. */
function mutated(name: string, mutate: (resources: Record<string, CfnResource>) => void): CfnTemplate {
  const template = JSON.parse(JSON.stringify(stage(name).template)) as CfnTemplate;
  mutate(template.Resources as Record<string, CfnResource>);
  return template;
}

function resourcesOf(resources: Record<string, CfnResource>, type: string, path: RegExp): [string, CfnResource][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type && path.test(String(r.Metadata?.['aws:cdk:path'] ?? '')));
}

type Statement = { Action: string | string[]; Principal?: { Service?: string | string[] }; Condition?: Record<string, unknown> };
function statementsOf(resource: CfnResource, property: string): Statement[] {
  return ((resource.Properties as Record<string, { Statement: Statement[] }>)[property]).Statement;
}

function deniedHandoffs(report: WiringReport): string[] {
  return report.results.filter((r) => r.verdict === 'denied').map((r) => `${r.handoff.from} → ${r.handoff.to}: ${r.failures.join('; ')}`);
}

describe.each(['dev', 'staging', 'prod'])('the wiring of %s', (name) => {
  let report: WiringReport;
  beforeAll(async () => {
    report = await checkWiring(name, stage(name).template, stage(name).region);
  });

  test('allows every hand-off', () => {
    expect(deniedHandoffs(report)).toEqual([]);
    expect(formatReport(report)).toMatch(new RegExp(`^${name}: \\d+ hand-offs, 0 denied$`, 'm'));
  });

  test('covers every kind of hand-off the loop has', () => {
    const kinds = new Set(report.results.map((r) => r.handoff.kind));
    for (const kind of ['event target', 'target dead-letter queue', 'alarm action', 'function dead-letter queue', 'function logs', 'log group encryption', 'server access logs', 'pipeline starts job', 'job reads inputs', 'job writes outputs', 'pipeline registers model', 'model artifact', 'SDK call', 'queue consumer', 'role trust']) {
      expect(kinds).toContain(kind);
    }
  });
});

test('prod has at least 40 hand-offs, and the serving side reads what the pipeline writes', async () => {
  const report = await checkWiring('prod', stage('prod').template, stage('prod').region);
  expect(report.results.length).toBeGreaterThanOrEqual(40);
  const kinds = report.results.map((r) => r.handoff.kind);
  for (const kind of ['model artifact', 'monitoring baseline', 'monitoring input', 'monitoring report', 'data capture']) expect(kinds).toContain(kind);
});

test('prod hands the model-quality jobs the ground truth and its metrics namespace, the deployer its model-quality calls, and the alarm to the governor, all allowed', async () => {
  const report = await checkWiring('prod', stage('prod').template, stage('prod').region);
  const quality = report.results.filter((r) => /^model-quality /.test(r.handoff.kind));
  expect(quality.map((r) => [r.handoff.kind, r.verdict])).toEqual([
    ['model-quality ground truth', 'allowed'],
    ['model-quality report', 'allowed'],
  ]);
  expect(quality[1].handoff.requests).toContainEqual(expect.objectContaining({ action: 'cloudwatch:PutMetricData', context: { 'cloudwatch:namespace': 'aws/sagemaker/Endpoints/model-metrics' } }));
  const calls = report.results.filter((r) => r.handoff.kind === 'SDK call' && /ModelQualityJobDefinition/.test(r.handoff.to));
  expect(calls.map((r) => `${r.handoff.to} ${r.verdict}`).sort()).toEqual([
    'CreateModelQualityJobDefinition allowed',
    'DeleteModelQualityJobDefinition allowed',
    'ListModelQualityJobDefinitions allowed',
  ]);
  const alarmEvents = report.results.filter((r) => r.handoff.kind === 'alarm events' && /ModelQualityDrop/.test(r.handoff.from));
  expect(alarmEvents.map((r) => [r.handoff.to.split('/').slice(-1)[0], r.verdict])).toEqual([['ModelQualityRule', 'allowed']]);
});

describe('fails when a hand-off loses what it needs', () => {
  test('fails when the alarm topic policy no longer names CloudWatch', async () => {
    const template = mutated('prod', (resources) => {
      const [[, policy]] = resourcesOf(resources, 'AWS::SNS::TopicPolicy', /Monitoring\/AlarmTopic/);
      const doc = (policy.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument;
      doc.Statement = doc.Statement.filter((s) => JSON.stringify(s.Principal ?? {}) !== JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }));
    });
    const denied = deniedHandoffs(await checkWiring('prod', template, 'us-east-1'));
    expect(denied.join('\n')).toMatch(/alarm churn-prod\/Monitoring\/EndpointServerErrorRateAlarm → topic churn-prod\/Monitoring\/AlarmTopic: denied .*cloudwatch\.amazonaws\.com → sns:Publish/);
  });

  test('fails when a function role loses the key grant its encrypted dead-letter queue needs', async () => {
    const template = mutated('prod', (resources) => {
      const [[, policy]] = resourcesOf(resources, 'AWS::IAM::Policy', /Endpoint\/Deployer\/Role/);
      const doc = (policy.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument;
      doc.Statement = doc.Statement.filter((s) => !(Array.isArray(s.Action) ? s.Action : [s.Action]).includes('kms:GenerateDataKey'));
    });
    const denied = deniedHandoffs(await checkWiring('prod', template, 'us-east-1'));
    expect(denied.join('\n')).toMatch(/function churn-prod\/Endpoint\/Deployer\/Function → queue churn-prod\/Endpoint\/Deployer\/DeadLetterQueue: denied .*kms:GenerateDataKey/);
  });

  test('fails when the deployer role loses an action one of its SDK calls needs', async () => {
    const template = mutated('prod', (resources) => {
      const [[, policy]] = resourcesOf(resources, 'AWS::IAM::Policy', /Endpoint\/Deployer\/Role/);
      for (const statement of statementsOf(policy, 'PolicyDocument')) {
        if (Array.isArray(statement.Action)) statement.Action = statement.Action.filter((a) => a !== 'sagemaker:CreateModel');
      }
    });
    const denied = deniedHandoffs(await checkWiring('prod', template, 'us-east-1'));
    expect(denied.join('\n')).toMatch(/function churn-prod\/Endpoint\/Deployer\/Function → CreateModel: denied .*sagemaker:CreateModel/);
  });

  test('fails when the key no longer lets CloudWatch Logs encrypt the log groups', async () => {
    const template = mutated('prod', (resources) => {
      const [[, key]] = resourcesOf(resources, 'AWS::KMS::Key', /Storage\/Key/);
      const doc = (key.Properties as { KeyPolicy: { Statement: Statement[] } }).KeyPolicy;
      doc.Statement = doc.Statement.filter((s) => !String(s.Principal?.Service ?? '').startsWith('logs.'));
    });
    const denied = deniedHandoffs(await checkWiring('prod', template, 'us-east-1'));
    expect(denied.join('\n')).toMatch(/log group churn-prod\/Registry\/AuditLog → key churn-prod\/Storage\/Key: denied .*logs\.us-east-1\.amazonaws\.com → kms:GenerateDataKey/);
  });

  test('fails when a topic policy lets any rule publish (another account\'s rule could)', async () => {
    const template = mutated('prod', (resources) => {
      const [[, policy]] = resourcesOf(resources, 'AWS::SNS::TopicPolicy', /Registry\/ApprovalTopic/);
      for (const statement of statementsOf(policy, 'PolicyDocument')) delete statement.Condition?.ArnEquals;
    });
    const denied = deniedHandoffs(await checkWiring('prod', template, 'us-east-1'));
    expect(denied.join('\n')).toMatch(/rule churn-prod\/Registry\/PendingApprovalRule → topic churn-prod\/Registry\/ApprovalTopic: open to another account/);
  });

  test('fails when a log-group target uses the Arn attribute that ends in ":*"', async () => {
    const template = mutated('prod', (resources) => {
      const [[, rule]] = resourcesOf(resources, 'AWS::Events::Rule', /Registry\/AuditRule/);
      const [[logGroupId]] = resourcesOf(resources, 'AWS::Logs::LogGroup', /Registry\/AuditLog/);
      (rule.Properties as { Targets: { Arn: unknown }[] }).Targets[0].Arn = { 'Fn::GetAtt': [logGroupId, 'Arn'] };
    });
    const denied = deniedHandoffs(await checkWiring('prod', template, 'us-east-1'));
    expect(denied.join('\n')).toMatch(/rule churn-prod\/Registry\/AuditRule → log group churn-prod\/Registry\/AuditLog: the target ARN .* ends in ":\*"/);
  });

  test('fails when a rule target has no dead-letter queue, and when a function reserves concurrency', async () => {
    const template = mutated('dev', (resources) => {
      const [[, rule]] = resourcesOf(resources, 'AWS::Events::Rule', /Monitoring\/PipelineFailedRule/);
      delete (rule.Properties as { Targets: { DeadLetterConfig?: unknown }[] }).Targets[0].DeadLetterConfig;
      const [[, fn]] = resourcesOf(resources, 'AWS::Lambda::Function', /Retraining\/Governor\/Function/);
      (fn.Properties as Record<string, unknown>).ReservedConcurrentExecutions = 1;
    });
    const denied = deniedHandoffs(await checkWiring('dev', template, 'us-east-1')).join('\n');
    expect(denied).toMatch(/rule churn-dev\/Monitoring\/PipelineFailedRule → \(none for topic churn-dev\/Monitoring\/AlarmTopic\): no dead-letter queue/);
    expect(denied).toMatch(/function churn-dev\/Retraining\/Governor\/Function → Lambda account quota: reserves 1 concurrent executions/);
  });

  test('fails when the monitoring role can no longer read the uploaded ground truth', async () => {
    const template = mutated('prod', (resources) => {
      for (const [, policy] of resourcesOf(resources, 'AWS::IAM::Policy', /Endpoint\/MonitoringRole\//)) {
        const document = (policy.Properties as { PolicyDocument: { Statement: unknown[] } }).PolicyDocument;
        // Only the ground-truth objects go: CDK merges them into one statement with the other reads.
        for (const statement of document.Statement as { Resource: unknown }[]) {
          if (Array.isArray(statement.Resource)) statement.Resource = statement.Resource.filter((resource) => !JSON.stringify(resource).includes('/ground-truth/*'));
        }
      }
    });
    const report = await checkWiring('prod', template, stage('prod').region);
    expect(deniedHandoffs(report)).toEqual([expect.stringMatching(/^s3:\/\/.*\/ground-truth\/churn-prod-endpoint\/ → role .*MonitoringRole: denied .*s3:GetObject/)]);
  });

  test('fails on an action name that does not exist', async () => {
    const template = mutated('prod', (resources) => {
      const [[, policy]] = resourcesOf(resources, 'AWS::IAM::Policy', /Endpoint\/Deployer\/Role/);
      for (const statement of statementsOf(policy, 'PolicyDocument')) {
        if (Array.isArray(statement.Action)) statement.Action = statement.Action.map((a) => (a === 'sagemaker:CreateModel' ? 'sagemaker:CreateModle' : a));
      }
    });
    const denied = deniedHandoffs(await checkWiring('prod', template, 'us-east-1'));
    expect(denied.join('\n')).toMatch(/→ CreateModel: (invalid request|denied)/);
  });
});

describe('the batch path of staging (batch.enabled)', () => {
  test('hands the transform jobs the model, the input and the output under the model role, and allows all of it', async () => {
    const report = await checkWiring('staging', stage('staging').template, stage('staging').region);
    const batch = report.results.filter((r) => /^batch /.test(r.handoff.kind) || /Batch\//.test(r.handoff.from) || /Batch\//.test(r.handoff.to));
    expect([...new Set(batch.map((r) => r.handoff.kind))]).toEqual(
      expect.arrayContaining(['batch model artifact', 'batch input', 'batch output', 'role trust', 'event target', 'target dead-letter queue', 'function dead-letter queue', 'bucket events', 'SDK call']),
    );
    expect(batch.filter((r) => r.verdict === 'denied')).toEqual([]);
    const calls = batch.filter((r) => r.handoff.kind === 'SDK call').map((r) => r.handoff.to);
    expect(calls).toEqual(expect.arrayContaining(['CreateModel', 'CreateTransformJob', 'ListTransformJobs', 'ListModelPackages', 'ListObjectsV2']));
  });

  test('fails when the model role can no longer write the outputs, or the scorer create a model without network isolation', async () => {
    const template = mutated('staging', (resources) => {
      const [[, modelPolicy]] = resourcesOf(resources, 'AWS::IAM::Policy', /Batch\/ModelRole/);
      for (const statement of statementsOf(modelPolicy, 'PolicyDocument')) {
        if (Array.isArray(statement.Action)) statement.Action = statement.Action.filter((a) => a !== 's3:PutObject');
      }
      const [[, scorerPolicy]] = resourcesOf(resources, 'AWS::IAM::Policy', /Batch\/Scorer\/Role/);
      for (const statement of statementsOf(scorerPolicy, 'PolicyDocument')) {
        if (statement.Action === 'sagemaker:CreateModel') statement.Condition = { Bool: { 'sagemaker:NetworkIsolation': 'false' } };
      }
    });
    const denied = deniedHandoffs(await checkWiring('staging', template, 'us-east-1')).join('\n');
    expect(denied).toMatch(/transform job churn-staging-batch-0{12}-v1 \(role churn-staging\/Batch\/ModelRole\) → s3:\/\/\S+\/batch\/output\/: denied .*s3:PutObject/);
    expect(denied).toMatch(/function churn-staging\/Batch\/Scorer\/Function → CreateModel: denied .*sagemaker:CreateModel/);
  });
});
