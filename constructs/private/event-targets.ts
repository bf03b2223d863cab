import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { addToDeadLetterQueueResourcePolicy } from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';

/** How EventBridge delivers to a target: retried, then kept in a dead-letter queue, never dropped. */
export interface DeliveryOptions {
  /** Where events go that EventBridge could not deliver after its retries. */
  readonly deadLetterQueue: sqs.IQueue;
  /** @default 8 */
  readonly retryAttempts?: number;
  /** @default Duration.hours(24) */
  readonly maxEventAge?: Duration;
}

const EVENTS = new iam.ServicePrincipal('events.amazonaws.com');

/**
 * An SNS topic target whose publish permission is scoped to the rule (aws:SourceArn), so no other
 * rule, of this account or another, can publish through EventBridge. aws-cdk-lib's SnsTopic target
 * grants every EventBridge rule.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
 */
export function topicTarget(topic: sns.ITopic, options: DeliveryOptions & { readonly message?: events.RuleTargetInput }): events.IRuleTarget {
  return {
    bind(rule: events.IRule): events.RuleTargetConfig {
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [EVENTS],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
        }),
      );
      return { arn: topic.topicArn, input: options.message, ...delivery(rule, options) };
    },
  };
}

/**
 * A CloudWatch Logs target. EventBridge needs the log group's ARN without the `:*` that the
 * `Arn` attribute ends with (targets so configured deploy but deliver nothing), and a
 * CloudWatch Logs resource policy letting the rule create streams and put events. The policy is an
 * AWS::Logs::ResourcePolicy, where aws-cdk-lib's CloudWatchLogGroup target installs it through a
 * custom resource and a Lambda function.
 */
export function logGroupTarget(logGroup: logs.ILogGroup, options: DeliveryOptions): events.IRuleTarget {
  return {
    bind(rule: events.IRule): events.RuleTargetConfig {
      logGroup.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [EVENTS],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
          conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
        }),
      );
      const arn = Stack.of(logGroup).formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
      return { arn, ...delivery(rule, options) };
    },
  };
}

function delivery(rule: events.IRule, options: DeliveryOptions): Pick<events.RuleTargetConfig, 'retryPolicy' | 'deadLetterConfig'> {
  addToDeadLetterQueueResourcePolicy(rule, options.deadLetterQueue);
  return {
    retryPolicy: { maximumRetryAttempts: options.retryAttempts ?? 8, maximumEventAgeInSeconds: (options.maxEventAge ?? Duration.hours(24)).toSeconds() },
    deadLetterConfig: { arn: options.deadLetterQueue.queueArn },
  };
}
