import { AccessRequest } from './policy-engine';
import { ResolvedResource, ResolvedTemplate } from '../resolved-template';

/**
 * One place where a service hands work to another: every request in `requests` must be allowed,
 * every request in `foreign` (the same hand-off attempted from another account's resource) must be
 * denied, and `problems` lists what is wrong without any policy being asked (a target without a
 * dead-letter queue, a log-group ARN ending in `:*`).
 */
export interface Handoff {
  readonly kind: string;
  readonly from: string;
  readonly to: string;
  readonly requests: AccessRequest[];
  readonly foreign?: AccessRequest[];
  readonly problems?: string[];
  /** What the hand-off cannot prove offline, said once in the report. */
  readonly note?: string;
}

/** The account a confused-deputy request comes from. */
const FOREIGN_ACCOUNT = '999999999999';

const EVENTS = 'events.amazonaws.com';
const CLOUDWATCH = 'cloudwatch.amazonaws.com';

/** The hand-offs of the plumbing: EventBridge targets, alarm actions, functions, logs, buckets, queues. */
export function plumbingHandoffs(template: ResolvedTemplate): Handoff[] {
  return [
    ...template.ofType('AWS::Events::Rule').flatMap((rule) => ruleHandoffs(template, rule)),
    ...template.ofType('AWS::CloudWatch::Alarm').flatMap((alarm) => alarmHandoffs(template, alarm)),
    ...template.ofType('AWS::Lambda::Function').flatMap((fn) => functionHandoffs(template, fn)),
    ...template.ofType('AWS::Lambda::EventSourceMapping').flatMap((mapping) => eventSourceHandoffs(template, mapping)),
    ...template.ofType('AWS::SQS::Queue').flatMap((queue) => queueHandoffs(template, queue)),
    ...template.ofType('AWS::Logs::LogGroup').flatMap((logGroup) => logGroupKeyHandoffs(template, logGroup)),
    ...template.ofType('AWS::S3::Bucket').flatMap((bucket) => bucketHandoffs(template, bucket)),
  ];
}

function ruleHandoffs(template: ResolvedTemplate, rule: ResolvedResource): Handoff[] {
  const ruleArn = template.attribute(rule.logicalId, 'Arn');
  const from = `rule ${template.pathOf(rule.logicalId)}`;
  const sourceContext = (account: string, arn: string) => ({ 'aws:SourceArn': arn, 'aws:SourceAccount': account });
  const foreignRuleArn = ruleArn.replace(`:${template.deployment.account}:`, `:${FOREIGN_ACCOUNT}:`);
  const handoffs: Handoff[] = [...eventSourceChecks(template, rule, from)];
  for (const target of (rule.properties.Targets as Record<string, unknown>[]) ?? []) {
    const targetArn = String(target.Arn);
    const to = describeArn(template, targetArn);
    const problems: string[] = [];
    const retry = target.RetryPolicy as { MaximumRetryAttempts?: number } | undefined;
    if (!retry) problems.push('no retry policy: EventBridge gives up after its default 24 hours with no trace');
    const deliver = (principalRequests: (context: Record<string, string>) => AccessRequest[]): Pick<Handoff, 'requests' | 'foreign'> => ({
      requests: principalRequests(sourceContext(template.deployment.account, ruleArn)),
      foreign: principalRequests(sourceContext(FOREIGN_ACCOUNT, foreignRuleArn)).filter((r) => !r.action.startsWith('kms:')),
    });
    let requests: Pick<Handoff, 'requests' | 'foreign'>;
    const service = targetArn.split(':')[2];
    if (service === 'lambda') {
      requests = deliver((context) => [{ principal: EVENTS, action: 'lambda:InvokeFunction', resource: targetArn, context }]);
    } else if (service === 'sns') {
      requests = deliver((context) => [{ principal: EVENTS, action: 'sns:Publish', resource: targetArn, context }, ...topicKeyRequests(template, targetArn, EVENTS)]);
    } else if (service === 'sqs') {
      requests = deliver((context) => [{ principal: EVENTS, action: 'sqs:SendMessage', resource: targetArn, context }, ...queueKeyRequests(template, targetArn, EVENTS)]);
      const queue = template.findByValue(targetArn, ['AWS::SQS::Queue']);
      if (queue?.properties.FifoQueue === true && !(target.SqsParameters as { MessageGroupId?: string } | undefined)?.MessageGroupId) {
        problems.push('the target is a FIFO queue but the target sets no MessageGroupId: EventBridge cannot deliver to it');
      }
    } else if (service === 'logs') {
      if (targetArn.endsWith(':*')) {
        problems.push(`the target ARN ${targetArn} ends in ":*": EventBridge accepts it, but delivers nothing (use the log group ARN without ":*", as aws-cdk-lib's CloudWatchLogGroup target does)`);
      }
      const groupArn = targetArn.replace(/:\*$/, '');
      requests = deliver((context) => [
        { principal: EVENTS, action: 'logs:CreateLogStream', resource: `${groupArn}:log-stream:event`, context },
        { principal: EVENTS, action: 'logs:PutLogEvents', resource: `${groupArn}:log-stream:event`, context },
      ]);
    } else {
      requests = { requests: [], foreign: [] };
      problems.push(`the wiring check does not model ${service} targets`);
    }
    handoffs.push({ kind: 'event target', from, to, ...requests, problems });

    const deadLetterArn = (target.DeadLetterConfig as { Arn?: string } | undefined)?.Arn;
    if (!deadLetterArn) {
      handoffs.push({ kind: 'target dead-letter queue', from, to: `(none for ${to})`, requests: [], problems: ['no dead-letter queue: events EventBridge cannot deliver are dropped without a trace'] });
    } else {
      handoffs.push({
        kind: 'target dead-letter queue',
        from,
        to: describeArn(template, deadLetterArn),
        ...deliver((context) => [{ principal: EVENTS, action: 'sqs:SendMessage', resource: deadLetterArn, context }, ...queueKeyRequests(template, deadLetterArn, EVENTS)]),
        problems: alarmOnQueueProblems(template, deadLetterArn),
      });
    }
  }
  return handoffs;
}

/** Events that rules wait for must be sent: S3 object events need EventBridge on the bucket, alarm events an alarm. */
function eventSourceChecks(template: ResolvedTemplate, rule: ResolvedResource, from: string): Handoff[] {
  const pattern = rule.properties.EventPattern as Record<string, unknown> | undefined;
  if (!pattern) return [];
  const sources = (pattern.source as string[]) ?? [];
  if (sources.includes('aws.s3')) {
    const names = (((pattern.detail as Record<string, unknown>)?.bucket as Record<string, unknown>)?.name as string[]) ?? [];
    return names.map((name) => {
      const bucket = template.findByValue(name, ['AWS::S3::Bucket']);
      const enabled = (bucket?.properties.NotificationConfiguration as { EventBridgeConfiguration?: { EventBridgeEnabled?: boolean } } | undefined)?.EventBridgeConfiguration?.EventBridgeEnabled === true;
      return {
        kind: 'bucket events',
        from: bucket ? `bucket ${template.pathOf(bucket.logicalId)}` : `bucket ${name}`,
        to: from,
        requests: [],
        problems: bucket ? (enabled ? [] : [`bucket ${name} does not send its events to EventBridge (NotificationConfiguration.EventBridgeConfiguration)`]) : [`the rule waits for bucket ${name}, which the stack does not define`],
        note: 'S3 sends object events to the default bus once EventBridge is enabled on the bucket; no policy is involved.',
      };
    });
  }
  if (sources.includes('aws.cloudwatch')) {
    return ((pattern.resources as string[]) ?? []).map((alarmArn) => {
      const alarm = template.findByValue(alarmArn, ['AWS::CloudWatch::Alarm']);
      return {
        kind: 'alarm events',
        from: alarm ? `alarm ${template.pathOf(alarm.logicalId)}` : alarmArn,
        to: from,
        requests: [],
        problems: alarm ? [] : [`the rule waits for alarm ${alarmArn}, which the stack does not define`],
        note: 'CloudWatch sends alarm state changes to the default bus; no policy is involved.',
      };
    });
  }
  return [];
}

function alarmHandoffs(template: ResolvedTemplate, alarm: ResolvedResource): Handoff[] {
  const alarmArn = template.attribute(alarm.logicalId, 'Arn');
  const foreignAlarmArn = alarmArn.replace(`:${template.deployment.account}:`, `:${FOREIGN_ACCOUNT}:`);
  const actions = ['AlarmActions', 'OKActions', 'InsufficientDataActions'].flatMap((key) => (alarm.properties[key] as string[]) ?? []);
  const from = `alarm ${template.pathOf(alarm.logicalId)}`;
  if (actions.length === 0) {
    return [{ kind: 'alarm action', from, to: '(none)', requests: [], problems: ['the alarm has no action: nobody hears of it'] }];
  }
  return actions.map((topicArn) => ({
    kind: 'alarm action',
    from,
    to: describeArn(template, topicArn),
    requests: [
      { principal: CLOUDWATCH, action: 'sns:Publish', resource: topicArn, context: { 'aws:SourceArn': alarmArn, 'aws:SourceAccount': template.deployment.account } },
      ...topicKeyRequests(template, topicArn, CLOUDWATCH),
    ],
    foreign: [{ principal: CLOUDWATCH, action: 'sns:Publish', resource: topicArn, context: { 'aws:SourceArn': foreignAlarmArn, 'aws:SourceAccount': FOREIGN_ACCOUNT } }],
  }));
}

function functionHandoffs(template: ResolvedTemplate, fn: ResolvedResource): Handoff[] {
  const roleArn = String(fn.properties.Role);
  const from = `function ${template.pathOf(fn.logicalId)}`;
  const handoffs: Handoff[] = [
    { kind: 'role trust', from: 'lambda.amazonaws.com', to: describeArn(template, roleArn), requests: [{ principal: 'lambda.amazonaws.com', action: 'sts:AssumeRole', resource: roleArn }] },
  ];
  const deadLetterArn = (fn.properties.DeadLetterConfig as { TargetArn?: string } | undefined)?.TargetArn;
  const invokeConfig = template.ofType('AWS::Lambda::EventInvokeConfig').find((config) => config.properties.FunctionName === template.ref(fn.logicalId));
  const destinations = invokeConfig?.properties.DestinationConfig as Record<string, { Destination?: string }> | undefined;
  for (const queueArn of [deadLetterArn, destinations?.OnFailure?.Destination].filter((arn): arn is string => !!arn)) {
    handoffs.push({
      kind: 'function dead-letter queue',
      from,
      to: describeArn(template, queueArn),
      requests: [{ principal: roleArn, action: 'sqs:SendMessage', resource: queueArn }, ...queueKeyRequests(template, queueArn, roleArn)],
      problems: alarmOnQueueProblems(template, queueArn),
    });
  }
  const logGroupName = (fn.properties.LoggingConfig as { LogGroup?: string } | undefined)?.LogGroup;
  if (logGroupName) {
    const stream = template.arn('logs', `log-group:${logGroupName}:log-stream:2026/12/01/[$LATEST]0`);
    handoffs.push({
      kind: 'function logs',
      from,
      to: `log group ${logGroupName}`,
      requests: [
        { principal: roleArn, action: 'logs:CreateLogStream', resource: stream },
        { principal: roleArn, action: 'logs:PutLogEvents', resource: stream },
      ],
    });
  }
  if ((fn.properties.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active') {
    handoffs.push({
      kind: 'function traces',
      from,
      to: 'X-Ray',
      requests: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'].map((action) => ({ principal: roleArn, action, resource: '*' })),
    });
  }
  const reserved = fn.properties.ReservedConcurrentExecutions;
  if (reserved !== undefined) {
    handoffs.push({
      kind: 'function concurrency',
      from,
      to: 'Lambda account quota',
      requests: [],
      problems: [`reserves ${reserved} concurrent executions: a new account's quota of 10 leaves nothing to reserve, so the stack cannot deploy there`],
    });
  }
  return handoffs;
}

function eventSourceHandoffs(template: ResolvedTemplate, mapping: ResolvedResource): Handoff[] {
  const queueArn = String(mapping.properties.EventSourceArn);
  const fn = template.findByValue(String(mapping.properties.FunctionName), ['AWS::Lambda::Function']);
  if (!fn) return [{ kind: 'queue consumer', from: describeArn(template, queueArn), to: String(mapping.properties.FunctionName), requests: [], problems: ['the event source mapping names a function the stack does not define'] }];
  const roleArn = String(fn.properties.Role);
  return [
    {
      kind: 'queue consumer',
      from: describeArn(template, queueArn),
      to: `function ${template.pathOf(fn.logicalId)}`,
      requests: [
        ...['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'].map((action) => ({ principal: roleArn, action, resource: queueArn })),
        ...queueKeyRequests(template, queueArn, roleArn).filter((request) => request.action === 'kms:Decrypt'),
      ],
    },
  ];
}

function queueHandoffs(template: ResolvedTemplate, queue: ResolvedResource): Handoff[] {
  const redrive = queue.properties.RedrivePolicy as { deadLetterTargetArn?: string; maxReceiveCount?: number } | undefined;
  if (!redrive?.deadLetterTargetArn) return [];
  const target = template.findByValue(redrive.deadLetterTargetArn, ['AWS::SQS::Queue']);
  const problems: string[] = [];
  if (!target) problems.push(`the redrive target ${redrive.deadLetterTargetArn} is not in the stack`);
  else if ((target.properties.FifoQueue === true) !== (queue.properties.FifoQueue === true)) problems.push('a FIFO queue can only redrive to a FIFO queue (and a standard one to a standard one)');
  problems.push(...alarmOnQueueProblems(template, redrive.deadLetterTargetArn));
  return [
    {
      kind: 'queue redrive',
      from: `queue ${template.pathOf(queue.logicalId)}`,
      to: describeArn(template, redrive.deadLetterTargetArn),
      requests: [],
      problems,
      note: 'SQS moves messages to the dead-letter queue itself; no policy is involved.',
    },
  ];
}

/**
 * CloudWatch Logs encrypts a log group with the key under the log group's ARN as encryption
 * context (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
 */
function logGroupKeyHandoffs(template: ResolvedTemplate, logGroup: ResolvedResource): Handoff[] {
  const keyArn = logGroup.properties.KmsKeyId as string | undefined;
  if (!keyArn) return [];
  const name = template.physicalName(logGroup.logicalId);
  const principal = `logs.${template.deployment.region}.amazonaws.com`;
  const requests = (groupArn: string) =>
    ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({ principal, action, resource: keyArn, context: { 'kms:EncryptionContext:aws:logs:arn': groupArn } }));
  return [
    {
      kind: 'log group encryption',
      from: `log group ${template.pathOf(logGroup.logicalId)}`,
      to: describeArn(template, keyArn),
      requests: requests(template.arn('logs', `log-group:${name}`)),
      foreign: requests(template.arn('logs', `log-group:${name}`, { account: FOREIGN_ACCOUNT })),
    },
  ];
}

/** Server access logs: S3's logging service writes into the log bucket for the source bucket only. */
function bucketHandoffs(template: ResolvedTemplate, bucket: ResolvedResource): Handoff[] {
  const logging = bucket.properties.LoggingConfiguration as { DestinationBucketName?: string; LogFilePrefix?: string } | undefined;
  if (!logging?.DestinationBucketName) return [];
  const sourceArn = template.attribute(bucket.logicalId, 'Arn');
  const object = `arn:${template.deployment.partition}:s3:::${logging.DestinationBucketName}/${logging.LogFilePrefix ?? ''}2026-12-01-00-00-00-0`;
  const request = (account: string, arn: string): AccessRequest => ({
    principal: 'logging.s3.amazonaws.com',
    action: 's3:PutObject',
    resource: object,
    context: { 'aws:SourceArn': arn, 'aws:SourceAccount': account, 'aws:SecureTransport': 'true' },
  });
  return [
    {
      kind: 'server access logs',
      from: `bucket ${template.pathOf(bucket.logicalId)}`,
      to: describeArn(template, `arn:${template.deployment.partition}:s3:::${logging.DestinationBucketName}`),
      requests: [request(template.deployment.account, sourceArn)],
      foreign: [request(FOREIGN_ACCOUNT, 'arn:aws:s3:::someone-elses-bucket')],
    },
  ];
}

/** What a principal publishing to an encrypted topic needs from the topic's key. */
function topicKeyRequests(template: ResolvedTemplate, topicArn: string, principal: string): AccessRequest[] {
  const topic = template.findByValue(topicArn, ['AWS::SNS::Topic']);
  const key = topic?.properties.KmsMasterKeyId as string | undefined;
  return key ? keyUse(template, key, principal) : [];
}

/** What a principal sending to an encrypted queue needs from the queue's key. */
function queueKeyRequests(template: ResolvedTemplate, queueArn: string, principal: string): AccessRequest[] {
  const queue = template.findByValue(queueArn, ['AWS::SQS::Queue']);
  const key = queue?.properties.KmsMasterKeyId as string | undefined;
  return key ? keyUse(template, key, principal) : [];
}

/**
 * SNS and SQS ask KMS for a data key on the sender's behalf (aws/aws-cdk#33153): the sender needs
 * GenerateDataKey and Decrypt. Service senders' KMS requests carry no source context we may rely on,
 * so none is given here: a key statement conditioned on one would be found denied.
 */
function keyUse(template: ResolvedTemplate, key: string, principal: string): AccessRequest[] {
  const keyArn = key.startsWith('arn:') ? key : template.arn('kms', `key/${key}`);
  return ['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({ principal, action, resource: keyArn }));
}

/** Every dead-letter queue has an alarm on its depth. */
function alarmOnQueueProblems(template: ResolvedTemplate, queueArn: string): string[] {
  const queue = template.findByValue(queueArn, ['AWS::SQS::Queue']);
  if (!queue) return [`queue ${queueArn} is not in the stack`];
  const queueName = template.physicalName(queue.logicalId);
  const watched = template.ofType('AWS::CloudWatch::Alarm').some((alarm) => {
    const dimensions = (alarm.properties.Dimensions as { Name: string; Value: string }[]) ?? [];
    const metrics = (alarm.properties.Metrics as { MetricStat?: { Metric?: { Dimensions?: { Name: string; Value: string }[] } } }[]) ?? [];
    const all = [...dimensions, ...metrics.flatMap((m) => m.MetricStat?.Metric?.Dimensions ?? [])];
    return all.some((d) => d.Name === 'QueueName' && d.Value === queueName) && ((alarm.properties.AlarmActions as string[]) ?? []).length > 0;
  });
  return watched ? [] : [`no alarm with an action watches dead-letter queue ${template.pathOf(queue.logicalId)}`];
}

/** A readable name for an ARN: the construct path of the template's resource, else the ARN. */
export function describeArn(template: ResolvedTemplate, arn: string): string {
  const resource = template.findByValue(arn) ?? template.findByValue(`${arn}:*`);
  const kind: Record<string, string> = {
    'AWS::SNS::Topic': 'topic',
    'AWS::SQS::Queue': 'queue',
    'AWS::Lambda::Function': 'function',
    'AWS::Logs::LogGroup': 'log group',
    'AWS::KMS::Key': 'key',
    'AWS::IAM::Role': 'role',
    'AWS::S3::Bucket': 'bucket',
    'AWS::CloudWatch::Alarm': 'alarm',
  };
  return resource ? `${kind[resource.type] ?? resource.type} ${template.pathOf(resource.logicalId)}` : arn;
}
