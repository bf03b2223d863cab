import type { SdkCall } from '../../lambda/shared/sdk-calls';
import { SDK_CALLS as BATCH_CLEANUP_CALLS } from '../../lambda/batch-cleanup/sdk-calls';
import { SDK_CALLS as BATCH_SCORER_CALLS } from '../../lambda/batch-scorer/sdk-calls';
import { SDK_CALLS as DEPLOYER_CALLS } from '../../lambda/deployer/sdk-calls';
import { SDK_CALLS as ENDPOINT_CLEANUP_CALLS } from '../../lambda/endpoint-cleanup/sdk-calls';
import { SDK_CALLS as REGISTRY_CLEANUP_CALLS } from '../../lambda/registry-cleanup/sdk-calls';
import { SDK_CALLS as GOVERNOR_CALLS } from '../../lambda/retraining-governor/sdk-calls';
import { SDK_CALLS as REVIEW_GATE_CALLS } from '../../lambda/review-gate/sdk-calls';
import { SDK_CALLS as STUDIO_CLEANUP_CALLS } from '../../lambda/studio-cleanup/sdk-calls';
import { HANDLER_METADATA_KEY } from '../../constructs/secure-function';
import { Handoff } from './handoffs';
import { ResolvedTemplate } from '../resolved-template';

/** The SDK-call inventory kept beside each handler, by handler folder. */
const HANDLER_SDK_CALLS: Readonly<Record<string, readonly SdkCall[]>> = {
  'batch-cleanup': BATCH_CLEANUP_CALLS,
  'batch-scorer': BATCH_SCORER_CALLS,
  deployer: DEPLOYER_CALLS,
  'endpoint-cleanup': ENDPOINT_CLEANUP_CALLS,
  'registry-cleanup': REGISTRY_CLEANUP_CALLS,
  'retraining-governor': GOVERNOR_CALLS,
  'review-gate': REVIEW_GATE_CALLS,
  'studio-cleanup': STUDIO_CLEANUP_CALLS,
};

/**
 * Every SDK call each handler makes, as one request per permission it needs, made with the
 * function's role against the resources its deployed settings name (its environment, plus the
 * properties of the custom resources it serves).
 */
export function handlerHandoffs(template: ResolvedTemplate): Handoff[] {
  const handoffs: Handoff[] = [];
  for (const fn of template.ofType('AWS::Lambda::Function')) {
    const folder = fn.metadata[HANDLER_METADATA_KEY];
    if (typeof folder !== 'string') continue;
    const calls = HANDLER_SDK_CALLS[folder];
    const from = `function ${template.pathOf(fn.logicalId)}`;
    if (!calls) {
      handoffs.push({ kind: 'SDK call', from, to: '(unknown handler)', requests: [], problems: [`no SDK-call inventory for handler folder "${folder}"`] });
      continue;
    }
    const functionArn = template.attribute(fn.logicalId, 'Arn');
    const served = template.resources.filter((r) => r.type.startsWith('Custom::') && r.properties.ServiceToken === functionArn);
    const environments = (served.length ? served.map((r) => r.properties) : [{}]).map((properties): Record<string, string> => ({
      ...(((fn.properties.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {}) as Record<string, string>),
      ...Object.fromEntries(Object.entries(properties).filter((entry): entry is [string, string] => typeof entry[1] === 'string')),
    }));
    const role = String(fn.properties.Role);
    const arn = (service: string, resource: string, options: { global?: boolean } = {}) => template.arn(service, resource, options);
    for (const env of environments) {
      for (const call of calls) {
        if (call.when && !call.when(env)) continue;
        handoffs.push({
          kind: 'SDK call',
          from,
          to: call.command.replace(/Command$/, '').replace(/^paginate/, ''),
          requests: call.permissions.flatMap((permission) =>
            permission.resources(env, arn).map((resource) => ({ principal: role, action: permission.action, resource, context: permission.context?.(env) })),
          ),
        });
      }
    }
  }
  return handoffs;
}
