import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * A KMS-encrypted, TLS-only queue that keeps what could not be delivered for 14 days. EventBridge
 * encrypts what it puts on it with the key, so the key lets EventBridge use it; the queue's own
 * policy (added by each rule that uses it) names the rule.
 */
export function encryptedDeadLetterQueue(scope: Construct, id: string, key: kms.IKey, props: { readonly fifo?: boolean } = {}): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: key,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    fifo: props.fifo,
  });
  // SNS and SQS ask KMS on EventBridge's behalf without a source context to condition on.
  key.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: 'This queue is itself a dead-letter queue; a message it cannot keep has nowhere further to go, and its depth raises an alarm.',
  });
  return queue;
}
