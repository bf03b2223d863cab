import { optional, required, sageMakerArn } from '../shared/sample-arns';
import type { ArnFormatter, FunctionEnvironment, SdkCall } from '../shared/sdk-calls';
import { STUDIO_CLEANUP_PROPERTIES, STUDIO_REMOVAL_POLICIES } from './properties';

/*
 * Every SDK command and paginator the Studio clean-up sends (cleanup.ts). The domain comes from the
 * custom resource's properties, which the checker passes in `env`; under the `retain` policy the
 * handler sends nothing.
 */

const P = STUDIO_CLEANUP_PROPERTIES;
/** Names of what users create in the domain: the clean-up deletes whatever it finds. */
const SAMPLE_USER_PROFILE = 'sample-user';
const SAMPLE_SPACE = 'sample-space';

const removes = (env: FunctionEnvironment) => optional(env, P.REMOVAL_POLICY) === STUDIO_REMOVAL_POLICIES.DESTROY;
const domainId = (env: FunctionEnvironment) => required(env, P.DOMAIN_ID);
const inDomain = (type: string, name: string) => (env: FunctionEnvironment, arn: ArnFormatter) => [sageMakerArn(arn, type, `${domainId(env)}/${name}`)];
/** "Except for the ListTags API, resource-level restrictions are not available on List- calls." */
const anyResource = () => ['*'];

export const SDK_CALLS: readonly SdkCall[] = [
  {
    command: 'DescribeDomainCommand',
    when: removes,
    permissions: [{ action: 'sagemaker:DescribeDomain', resources: (env, arn) => [sageMakerArn(arn, 'domain', domainId(env))] }],
  },
  { command: 'paginateListApps', when: removes, permissions: [{ action: 'sagemaker:ListApps', resources: anyResource }] },
  {
    command: 'DeleteAppCommand',
    when: removes,
    // app/<domain>/<space or user profile>/<app type>/<app name>
    permissions: [
      {
        action: 'sagemaker:DeleteApp',
        resources: (env, arn) => [...inDomain('app', `${SAMPLE_SPACE}/jupyterlab/default`)(env, arn), ...inDomain('app', `${SAMPLE_USER_PROFILE}/jupyterserver/default`)(env, arn)],
      },
    ],
  },
  { command: 'paginateListSpaces', when: removes, permissions: [{ action: 'sagemaker:ListSpaces', resources: anyResource }] },
  { command: 'DeleteSpaceCommand', when: removes, permissions: [{ action: 'sagemaker:DeleteSpace', resources: inDomain('space', SAMPLE_SPACE) }] },
  { command: 'paginateListUserProfiles', when: removes, permissions: [{ action: 'sagemaker:ListUserProfiles', resources: anyResource }] },
  {
    command: 'DeleteUserProfileCommand',
    when: removes,
    permissions: [{ action: 'sagemaker:DeleteUserProfile', resources: inDomain('user-profile', SAMPLE_USER_PROFILE) }],
  },
  {
    command: 'DeleteDomainCommand',
    when: removes,
    // RetentionPolicy.HomeEfsFileSystem Delete: SageMaker deletes the EFS itself; no EFS permission is
    // documented for the caller (aws-samples/cloudformation-studio-domain grants none; not tried in an account).
    permissions: [{ action: 'sagemaker:DeleteDomain', resources: (env, arn) => [sageMakerArn(arn, 'domain', domainId(env))] }],
  },
];
