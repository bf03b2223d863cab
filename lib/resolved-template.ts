/**
 * A synthesized CloudFormation template with its intrinsic functions resolved to the values a
 * deployment in one account and region would give them, so the wiring check can reason about
 * concrete ARNs. Generated physical names are derived from logical ids: stable, and distinct per
 * resource, which is all a policy evaluation needs.
 */

export type CfnValue = unknown;

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, CfnValue>;
  readonly Metadata?: Record<string, CfnValue>;
  readonly DependsOn?: string | string[];
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

/** Where the template is imagined deployed. */
export interface Deployment {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

/** A resource of the template with its properties resolved. */
export interface ResolvedResource {
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
}

export class ResolvedTemplate {
  public readonly resources: ResolvedResource[];
  private readonly byId = new Map<string, ResolvedResource>();

  constructor(
    private readonly template: CfnTemplate,
    public readonly deployment: Deployment,
  ) {
    this.resources = Object.entries(template.Resources).map(([logicalId, resource]) => {
      const resolved: ResolvedResource = {
        logicalId,
        type: resource.Type,
        properties: (this.resolve(resource.Properties ?? {}) as Record<string, unknown>) ?? {},
        metadata: (resource.Metadata ?? {}) as Record<string, unknown>,
      };
      this.byId.set(logicalId, resolved);
      return resolved;
    });
  }

  public ofType(type: string): ResolvedResource[] {
    return this.resources.filter((resource) => resource.type === type);
  }

  public get(logicalId: string): ResolvedResource | undefined {
    return this.byId.get(logicalId);
  }

  /** The resource whose `Ref` or one of whose attributes equals `value` (an ARN, a name, a URL). */
  public findByValue(value: string, types?: string[]): ResolvedResource | undefined {
    return this.resources.find(
      (resource) =>
        (!types || types.includes(resource.type)) &&
        [this.ref(resource.logicalId), ...attributesOf(resource.type).map((attribute) => this.attribute(resource.logicalId, attribute))].includes(value),
    );
  }

  /** The construct path CDK recorded for the resource. */
  public pathOf(logicalId: string): string {
    const path = this.template.Resources[logicalId]?.Metadata?.['aws:cdk:path'];
    return typeof path === 'string' ? path.replace(/\/Resource$/, '') : logicalId;
  }

  public arn(service: string, resource: string, options: { global?: boolean; account?: string } = {}): string {
    const { partition, region, account } = this.deployment;
    return `arn:${partition}:${service}:${options.global ? '' : region}:${options.account ?? account}:${resource}`;
  }

  /** What `{ Ref: logicalId }` resolves to. */
  public ref(logicalId: string): string {
    const pseudo = this.pseudoParameter(logicalId);
    if (pseudo !== undefined) return pseudo;
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`the template refers to ${logicalId}, which it does not define`);
    const name = this.physicalName(logicalId);
    switch (resource.Type) {
      case 'AWS::SNS::Topic':
        return this.arn('sns', name);
      case 'AWS::SQS::Queue':
        return `https://sqs.${this.deployment.region}.amazonaws.com/${this.deployment.account}/${name}`;
      case 'AWS::SageMaker::ModelPackageGroup':
        return this.arn('sagemaker', `model-package-group/${name.toLowerCase()}`);
      default:
        return name;
    }
  }

  /** What `{ 'Fn::GetAtt': [logicalId, attribute] }` resolves to. */
  public attribute(logicalId: string, attribute: string): string {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`the template refers to ${logicalId}.${attribute}, which it does not define`);
    const name = this.physicalName(logicalId);
    const { region, account } = this.deployment;
    const byType: Record<string, Record<string, () => string>> = {
      'AWS::S3::Bucket': {
        Arn: () => `arn:${this.deployment.partition}:s3:::${name}`,
        DomainName: () => `${name}.s3.amazonaws.com`,
        RegionalDomainName: () => `${name}.s3.${region}.amazonaws.com`,
      },
      'AWS::KMS::Key': { Arn: () => this.arn('kms', `key/${name}`), KeyId: () => name },
      'AWS::SNS::Topic': { TopicArn: () => this.arn('sns', name), TopicName: () => name },
      'AWS::SQS::Queue': {
        Arn: () => this.arn('sqs', name),
        QueueName: () => name,
        QueueUrl: () => `https://sqs.${region}.amazonaws.com/${account}/${name}`,
      },
      'AWS::Lambda::Function': { Arn: () => this.arn('lambda', `function:${name}`) },
      'AWS::IAM::Role': { Arn: () => `arn:${this.deployment.partition}:iam::${account}:role/${name}`, RoleId: () => `AROA${logicalId.toUpperCase()}` },
      'AWS::Logs::LogGroup': { Arn: () => this.arn('logs', `log-group:${name}:*`) },
      'AWS::Events::Rule': { Arn: () => this.arn('events', `rule/${name}`) },
      'AWS::CloudWatch::Alarm': { Arn: () => this.arn('cloudwatch', `alarm:${name}`) },
      'AWS::SageMaker::ModelPackageGroup': { ModelPackageGroupArn: () => this.arn('sagemaker', `model-package-group/${name.toLowerCase()}`) },
    };
    const produce = byType[resource.Type]?.[attribute];
    return produce ? produce() : `${name}.${attribute}`;
  }

  /** The physical name: the one the template gives, else one CloudFormation would generate. */
  public physicalName(logicalId: string): string {
    const resource = this.template.Resources[logicalId];
    const properties = resource?.Properties ?? {};
    const nameProperty = NAME_PROPERTY[resource?.Type ?? ''];
    const given = nameProperty ? properties[nameProperty] : undefined;
    if (given !== undefined) return String(this.resolve(given));
    const generated = `${logicalId.toLowerCase().slice(0, 40)}-gen`;
    switch (resource?.Type) {
      case 'AWS::Logs::LogGroup':
        return `/generated/${generated}`;
      case 'AWS::SQS::Queue':
        return properties.FifoQueue === true ? `${generated}.fifo` : generated;
      case 'AWS::KMS::Key':
        return `${logicalId.toLowerCase()}-key-id`;
      default:
        return generated;
    }
  }

  /** Resolves every intrinsic function in `value`. */
  public resolve(value: CfnValue): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const node = value as Record<string, CfnValue>;
    const keys = Object.keys(node);
    if (keys.length === 1) {
      const [fn] = keys;
      const argument = node[fn];
      switch (fn) {
        case 'Ref':
          return this.ref(String(argument));
        case 'Fn::GetAtt': {
          const [id, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
          return this.attribute(String(id), String(attribute));
        }
        case 'Fn::Join': {
          const [delimiter, items] = argument as [string, CfnValue[]];
          return (this.resolve(items) as unknown[]).map(String).join(delimiter);
        }
        case 'Fn::Sub':
          return this.substitute(argument);
        case 'Fn::Select': {
          const [index, list] = argument as [CfnValue, CfnValue];
          return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
        }
        case 'Fn::Split': {
          const [delimiter, source] = argument as [string, CfnValue];
          return String(this.resolve(source)).split(delimiter);
        }
        case 'Fn::GetAZs':
          return ['a', 'b', 'c'].map((zone) => `${this.deployment.region}${zone}`);
        default:
          if (fn.startsWith('Fn::')) throw new Error(`the wiring check cannot resolve ${fn}`);
      }
    }
    return Object.fromEntries(keys.map((key) => [key, this.resolve(node[key])]));
  }

  private substitute(argument: CfnValue): string {
    const [text, variables] = Array.isArray(argument) ? (argument as [string, Record<string, CfnValue>]) : [String(argument), {}];
    return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
      if (name in variables) return String(this.resolve(variables[name]));
      const [id, attribute] = name.split('.');
      return attribute ? this.attribute(id, attribute) : this.ref(id);
    });
  }

  private pseudoParameter(name: string): string | undefined {
    const { account, region, partition } = this.deployment;
    const values: Record<string, string> = {
      'AWS::AccountId': account,
      'AWS::Region': region,
      'AWS::Partition': partition,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': 'stack',
      'AWS::NoValue': '',
    };
    return values[name];
  }
}

/** The property holding a resource's given name, by type. */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Events::Rule': 'Name',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::SageMaker::ModelPackageGroup': 'ModelPackageGroupName',
  'AWS::SageMaker::Pipeline': 'PipelineName',
};

function attributesOf(type: string): string[] {
  const attributes: Record<string, string[]> = {
    'AWS::S3::Bucket': ['Arn'],
    'AWS::KMS::Key': ['Arn', 'KeyId'],
    'AWS::SNS::Topic': ['TopicArn', 'TopicName'],
    'AWS::SQS::Queue': ['Arn', 'QueueName', 'QueueUrl'],
    'AWS::Lambda::Function': ['Arn'],
    'AWS::IAM::Role': ['Arn'],
    'AWS::Logs::LogGroup': ['Arn'],
    'AWS::Events::Rule': ['Arn'],
    'AWS::CloudWatch::Alarm': ['Arn'],
    'AWS::SageMaker::ModelPackageGroup': ['ModelPackageGroupArn'],
  };
  return attributes[type] ?? [];
}
