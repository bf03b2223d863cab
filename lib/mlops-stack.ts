import { Duration, RemovalPolicy, Stack, StackProps, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { MlopsStorage, ModelRegistry } from '../constructs';
import { resourceNames } from './naming';
import { StageConfig } from './stage-config';

/** Properties of {@link MlopsStack}. */
export interface MlopsStackProps extends StackProps {
  /** The validated stage config (see `loadStageConfig`). */
  readonly config: StageConfig;
}

/** One stage of the MLOps environment, composed from the reusable constructs and its stage config. */
export class MlopsStack extends Stack {
  public readonly config: StageConfig;
  public readonly storage: MlopsStorage;
  public readonly registry: ModelRegistry;

  constructor(scope: Construct, id: string, props: MlopsStackProps) {
    const { config } = props;
    super(scope, id, {
      description: `cdk-mlops ${config.project} ${config.stage}: ${config.description}`.trim(),
      terminationProtection: config.removalPolicy === 'retain',
      ...props,
    });
    this.config = config;
    const names = resourceNames(config.project, config.stage);
    const destroy = config.removalPolicy === 'destroy';
    const removalPolicy = destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    Tags.of(this).add('cdk-mlops:project', config.project);
    Tags.of(this).add('cdk-mlops:stage', config.stage);

    this.storage = new MlopsStorage(this, 'Storage', {
      encryptionKeyAlias: `alias/${names.prefix}`,
      removalPolicy,
      autoDeleteObjects: destroy,
      noncurrentVersionExpiration: Duration.days(config.storage.noncurrentVersionExpirationDays),
      accessLogsExpiration: Duration.days(config.storage.accessLogExpirationDays),
    });

    this.registry = new ModelRegistry(this, 'Registry', {
      modelPackageGroupName: names.modelPackageGroup,
      description: `Models of ${config.project} (${config.stage})`,
      encryptionKey: this.storage.encryptionKey,
      approverEmails: config.approval.approverEmails,
      // CloudWatch's RetentionDays values are the day counts the config schema allows.
      auditLogRetention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy,
    });
  }
}

