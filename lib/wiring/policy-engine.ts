import { runSimulation, Simulation } from '@cloud-copilot/iam-simulate';
import { ResolvedTemplate } from '../resolved-template';

/** One request a service or role makes in the loop. */
export interface AccessRequest {
  /** A role ARN, or a service principal such as `events.amazonaws.com`. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | string[]>>;
}

export type Verdict = 'allowed' | 'denied' | 'invalid';

export interface RequestVerdict {
  readonly request: AccessRequest;
  readonly verdict: Verdict;
  /** Why not allowed: the engine's result, or the validation error (an unknown action, say). */
  readonly why?: string;
}

interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: Record<string, unknown>[];
}

/** Where one identity statement sits: for the report of permissions that no hand-off uses. */
export interface IdentityStatementRef {
  readonly role: string;
  readonly policy: string;
  readonly index: number;
  readonly statement: Record<string, unknown>;
}

/**
 * The template's policies, read the way IAM holds them: identity policies per role (inline and
 * AWS::IAM::Policy), and resource policies per resource (key, topic, queue and bucket policies,
 * CloudWatch Logs resource policies, Lambda permissions, role trust policies). Requests are decided
 * by @cloud-copilot/iam-simulate with both sides together, as AWS decides them.
 */
export class PolicyEngine {
  private readonly identity = new Map<string, { name: string; policy: PolicyDocument }[]>();
  private readonly resourcePolicies = new Map<string, Record<string, unknown>[]>();
  private readonly logsPolicies: Record<string, unknown>[] = [];
  /** Identity statements an allowed request relied on, by `role|policy|index`. */
  private readonly used = new Set<string>();
  /** Managed policies attached to roles: not modelled, so reported. */
  public readonly managedPolicies: { role: string; arn: string }[] = [];

  constructor(private readonly template: ResolvedTemplate) {
    for (const role of template.ofType('AWS::IAM::Role')) {
      const arn = template.attribute(role.logicalId, 'Arn');
      const policies = ((role.properties.Policies as { PolicyName: string; PolicyDocument: PolicyDocument }[]) ?? []).map((p) => ({ name: p.PolicyName, policy: p.PolicyDocument }));
      this.identity.set(arn, policies);
      for (const managed of (role.properties.ManagedPolicyArns as string[]) ?? []) this.managedPolicies.push({ role: arn, arn: managed });
      this.addResourceStatements(arn, (role.properties.AssumeRolePolicyDocument as PolicyDocument).Statement);
    }
    for (const policy of [...template.ofType('AWS::IAM::Policy'), ...template.ofType('AWS::IAM::ManagedPolicy')]) {
      for (const roleName of (policy.properties.Roles as string[]) ?? []) {
        const role = template.resources.find((r) => r.type === 'AWS::IAM::Role' && template.ref(r.logicalId) === roleName);
        const roleArn = role ? template.attribute(role.logicalId, 'Arn') : `arn:aws:iam::${template.deployment.account}:role/${roleName}`;
        const list = this.identity.get(roleArn) ?? [];
        list.push({ name: String(policy.properties.PolicyName ?? policy.logicalId), policy: policy.properties.PolicyDocument as PolicyDocument });
        this.identity.set(roleArn, list);
      }
    }
    for (const key of template.ofType('AWS::KMS::Key')) {
      this.addResourceStatements(template.attribute(key.logicalId, 'Arn'), (key.properties.KeyPolicy as PolicyDocument).Statement);
    }
    for (const topicPolicy of template.ofType('AWS::SNS::TopicPolicy')) {
      for (const topic of topicPolicy.properties.Topics as string[]) this.addResourceStatements(topic, (topicPolicy.properties.PolicyDocument as PolicyDocument).Statement);
    }
    for (const queuePolicy of template.ofType('AWS::SQS::QueuePolicy')) {
      for (const url of queuePolicy.properties.Queues as string[]) {
        const queue = template.findByValue(url, ['AWS::SQS::Queue']);
        if (queue) this.addResourceStatements(template.attribute(queue.logicalId, 'Arn'), (queuePolicy.properties.PolicyDocument as PolicyDocument).Statement);
      }
    }
    for (const bucketPolicy of template.ofType('AWS::S3::BucketPolicy')) {
      this.addResourceStatements(`arn:${template.deployment.partition}:s3:::${bucketPolicy.properties.Bucket}`, (bucketPolicy.properties.PolicyDocument as PolicyDocument).Statement);
    }
    for (const logsPolicy of template.ofType('AWS::Logs::ResourcePolicy')) {
      this.logsPolicies.push(...(JSON.parse(String(logsPolicy.properties.PolicyDocument)) as PolicyDocument).Statement);
    }
    for (const permission of template.ofType('AWS::Lambda::Permission')) {
      const p = permission.properties;
      const functionArn = String(p.FunctionName).startsWith('arn:') ? String(p.FunctionName) : template.arn('lambda', `function:${p.FunctionName}`);
      const principal = String(p.Principal);
      const condition: Record<string, Record<string, unknown>> = {};
      if (p.SourceArn) condition.ArnLike = { 'aws:SourceArn': p.SourceArn };
      if (p.SourceAccount) condition.StringEquals = { 'aws:SourceAccount': p.SourceAccount };
      this.addResourceStatements(functionArn, [
        {
          Sid: permission.logicalId,
          Effect: 'Allow',
          Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
          Action: p.Action,
          Resource: functionArn,
          ...(Object.keys(condition).length ? { Condition: condition } : {}),
        },
      ]);
    }
  }

  /** Identity statements of the template's roles that no evaluated request relied on. */
  public unusedIdentityStatements(): IdentityStatementRef[] {
    const unused: IdentityStatementRef[] = [];
    for (const [role, policies] of this.identity) {
      for (const { name, policy } of policies) {
        policy.Statement.forEach((statement, index) => {
          if (statement.Effect === 'Allow' && !this.used.has(`${role}|${name}|${index + 1}`)) unused.push({ role, policy: name, index: index + 1, statement });
        });
      }
    }
    return unused;
  }

  /** Decides one request with the principal's identity policies and the resource's policy together. */
  public async evaluate(request: AccessRequest): Promise<RequestVerdict> {
    const resourcePolicy = this.resourcePolicyFor(request.resource, request.action);
    const identityPolicies = this.identity.get(request.principal) ?? [];
    const simulation: Simulation = aliasEncryptionContext({
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: this.accountOf(request.resource) },
        contextVariables: { ...request.context },
      },
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: resourcePolicy ? { Version: '2012-10-17', Statement: resourcePolicy } : undefined,
    });
    const result = await runSimulation(simulation, {});
    if (result.resultType === 'error') {
      return { request, verdict: 'invalid', why: describeErrors(result.errors) };
    }
    const analysed = result.resultType === 'single' ? [result.result] : result.results;
    const ignored = analysed.flatMap((r) => r.ignoredContextKeys ?? []);
    if (ignored.length) {
      return { request, verdict: 'invalid', why: `context keys that do not apply to ${request.action}: ${[...new Set(ignored)].join(', ')}` };
    }
    const overall = result.overallResult;
    if (overall !== 'Allowed') {
      return { request, verdict: 'denied', why: overall };
    }
    for (const statement of analysed.flatMap((r) => r.analysis?.identityAnalysis?.allowStatements ?? [])) {
      this.used.add(`${request.principal}|${statement.policyId}|${statement.statement.index()}`);
    }
    return { request, verdict: 'allowed' };
  }

  private resourcePolicyFor(resource: string, action: string): Record<string, unknown>[] | undefined {
    if (action === 'sts:AssumeRole' || !resource.startsWith('arn:')) return this.resourcePolicies.get(resource);
    const [, , service, , , rest] = resource.split(':');
    if (service === 's3') return this.resourcePolicies.get(`arn:${this.template.deployment.partition}:s3:::${rest.split('/')[0]}`);
    if (service === 'logs') return this.logsPolicies.length ? this.logsPolicies : undefined;
    if (service === 'lambda') return this.resourcePolicies.get(resource.split(':').slice(0, 7).join(':'));
    if (service === 'iam') return undefined;
    return this.resourcePolicies.get(resource);
  }

  private accountOf(resource: string): string {
    const account = resource.split(':')[4];
    return account || this.template.deployment.account;
  }

  private addResourceStatements(arn: string, statements: Record<string, unknown>[]): void {
    this.resourcePolicies.set(arn, [...(this.resourcePolicies.get(arn) ?? []), ...statements]);
  }
}

/**
 * The engine (0.1.x) recognizes variable condition keys only in the `prefix/variable` form, so it
 * drops `kms:EncryptionContext:<key>` (whose key holds colons) from requests as unknown. The key is
 * carried under a name of that form, `aws:ResourceTag/kms:EncryptionContext:<key>`, in the request
 * and in every condition alike; the operators (ArnLike, StringEquals, ...) still decide.
 */
function aliasEncryptionContext(simulation: Simulation): Simulation {
  const prefix = 'kms:encryptioncontext:';
  const alias = (key: string) => (key.toLowerCase().startsWith(prefix) ? `aws:ResourceTag/${key}` : key);
  const renameConditions = (policy: PolicyDocument | undefined): PolicyDocument | undefined =>
    policy && {
      ...policy,
      Statement: policy.Statement.map((statement) =>
        statement.Condition
          ? {
              ...statement,
              Condition: Object.fromEntries(
                Object.entries(statement.Condition as Record<string, Record<string, unknown>>).map(([operator, keys]) => [
                  operator,
                  Object.fromEntries(Object.entries(keys).map(([key, value]) => [alias(key), value])),
                ]),
              ),
            }
          : statement,
      ),
    };
  return {
    ...simulation,
    request: { ...simulation.request, contextVariables: Object.fromEntries(Object.entries(simulation.request.contextVariables).map(([key, value]) => [alias(key), value])) },
    identityPolicies: simulation.identityPolicies.map((p) => ({ ...p, policy: renameConditions(p.policy as PolicyDocument) })),
    resourcePolicy: renameConditions(simulation.resourcePolicy as PolicyDocument | undefined),
  };
}

function describeErrors(errors: unknown): string {
  const e = errors as { message?: string; identityPolicyErrors?: unknown; resourcePolicyErrors?: unknown };
  const details = JSON.stringify({ ...e, message: undefined });
  return `${e.message ?? 'invalid request'}${details && details !== '{}' ? ` ${details}` : ''}`;
}
