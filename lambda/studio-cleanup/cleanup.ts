import {
  DeleteAppCommand,
  DeleteDomainCommand,
  DeleteSpaceCommand,
  DeleteUserProfileCommand,
  DescribeDomainCommand,
  paginateListApps,
  paginateListSpaces,
  paginateListUserProfiles,
  type AppDetails,
  type DeleteAppCommandInput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { isAwsError, isNotFound } from '../deployer/resources';

/** The subset of the Powertools Logger the clean-up uses; tests pass a recorder. */
export interface CleanupLog {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface CleanupDependencies {
  readonly sagemaker: SageMakerClient;
  readonly log: CleanupLog;
}

export interface CleanupProgress {
  /** False while anything of the domain, or the domain itself, still exists: call again later. */
  readonly complete: boolean;
  readonly detail: string;
}

/**
 * Apps in these states are gone or never ran: SageMaker deletes no Failed app (the request fails)
 * and needs none deleted to delete its space, profile or domain
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/gs-studio-delete-domain.html).
 */
const SETTLED_APP_STATUSES = new Set(['Deleted', 'Failed']);

/**
 * One pass of removing a Studio domain in the order SageMaker requires (the page above): its apps,
 * then its spaces (a space with a running app cannot be deleted), then its user profiles (a profile
 * that owns a space cannot), then the domain with `RetentionPolicy.HomeEfsFileSystem: Delete`, which
 * makes SageMaker delete the domain's home EFS file system
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteDomain.html). CloudFormation
 * cannot do that last part: `AWS::SageMaker::Domain` has no retention setting, and its Delete leaves
 * the EFS behind (aws-cloudformation/cloudformation-coverage-roadmap#1085). So the clean-up deletes
 * the domain itself; CloudFormation's Deletes of the profiles and the domain then find them gone.
 *
 * Each step waits for the one before it (SageMaker deletes asynchronously), so a pass that has to
 * wait reports itself incomplete; call it again until it is complete. What is already gone is
 * skipped, so repeating a pass is harmless.
 */
export async function removeStudioDomain(domainId: string, deps: CleanupDependencies): Promise<CleanupProgress> {
  const { sagemaker, log } = deps;
  const domainStatus = await describeDomainStatus(sagemaker, domainId);
  if (domainStatus === undefined) return progress(log, domainId, true, 'the domain is gone');
  if (domainStatus === 'Deleting') return progress(log, domainId, false, 'the domain is being deleted');

  const apps = await listLiveApps(sagemaker, domainId);
  if (apps.length > 0) {
    // Pending apps cannot be deleted yet and Deleting ones are on their way: wait for both.
    for (const app of apps.filter((candidate) => candidate.Status === 'InService')) {
      const request = deleteAppRequest(domainId, app);
      if (request) await attempt(() => sagemaker.send(new DeleteAppCommand(request)));
    }
    return progress(log, domainId, false, `deleting ${apps.length} apps`, { apps: apps.map(appLabel) });
  }

  const spaces = await listSpaces(sagemaker, domainId);
  if (spaces.length > 0) {
    for (const space of spaces.filter((candidate) => candidate.status !== 'Deleting')) {
      await attempt(() => sagemaker.send(new DeleteSpaceCommand({ DomainId: domainId, SpaceName: space.name })));
    }
    return progress(log, domainId, false, `deleting ${spaces.length} spaces`, { spaces: spaces.map((space) => space.name) });
  }

  const profiles = await listUserProfiles(sagemaker, domainId);
  if (profiles.length > 0) {
    for (const profile of profiles.filter((candidate) => candidate.status !== 'Deleting')) {
      await attempt(() => sagemaker.send(new DeleteUserProfileCommand({ DomainId: domainId, UserProfileName: profile.name })));
    }
    return progress(log, domainId, false, `deleting ${profiles.length} user profiles`, { userProfiles: profiles.map((profile) => profile.name) });
  }

  await attempt(() => sagemaker.send(new DeleteDomainCommand({ DomainId: domainId, RetentionPolicy: { HomeEfsFileSystem: 'Delete' } })));
  return progress(log, domainId, false, 'deleting the domain and its home EFS file system');
}

async function describeDomainStatus(sagemaker: SageMakerClient, domainId: string): Promise<string | undefined> {
  try {
    const described = await sagemaker.send(new DescribeDomainCommand({ DomainId: domainId }));
    return described.Status ?? 'Unknown';
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The domain's apps that still run or are on their way up or down. */
async function listLiveApps(sagemaker: SageMakerClient, domainId: string): Promise<AppDetails[]> {
  const apps: AppDetails[] = [];
  for await (const page of paginateListApps({ client: sagemaker }, { DomainIdEquals: domainId })) {
    apps.push(...(page.Apps ?? []).filter((app) => !SETTLED_APP_STATUSES.has(app.Status ?? '')));
  }
  return apps;
}

interface Named {
  readonly name: string;
  readonly status: string;
}

async function listSpaces(sagemaker: SageMakerClient, domainId: string): Promise<Named[]> {
  const spaces: Named[] = [];
  for await (const page of paginateListSpaces({ client: sagemaker }, { DomainIdEquals: domainId })) {
    for (const space of page.Spaces ?? []) if (space.SpaceName) spaces.push({ name: space.SpaceName, status: space.Status ?? 'Unknown' });
  }
  return spaces;
}

async function listUserProfiles(sagemaker: SageMakerClient, domainId: string): Promise<Named[]> {
  const profiles: Named[] = [];
  for await (const page of paginateListUserProfiles({ client: sagemaker }, { DomainIdEquals: domainId })) {
    for (const profile of page.UserProfiles ?? []) {
      if (profile.UserProfileName) profiles.push({ name: profile.UserProfileName, status: profile.Status ?? 'Unknown' });
    }
  }
  return profiles;
}

/** An app belongs to a space (JupyterLab, Code Editor) or, in Studio Classic, to a user profile. */
function deleteAppRequest(domainId: string, app: AppDetails): DeleteAppCommandInput | undefined {
  const { AppType, AppName, SpaceName, UserProfileName } = app;
  if (!AppType || !AppName) return undefined;
  return { DomainId: domainId, AppType, AppName, ...(SpaceName ? { SpaceName } : { UserProfileName }) };
}

function appLabel(app: AppDetails): string {
  return `${app.SpaceName ?? app.UserProfileName}/${app.AppType}/${app.AppName} (${app.Status})`;
}

/**
 * A delete request that tolerates the two answers a later pass resolves: the resource is already
 * gone, or it is busy (ResourceInUse: still being created, updated or emptied). Anything else, an
 * access denial above all, fails the pass.
 */
async function attempt(remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (isNotFound(error) || (isAwsError(error) && error.name === 'ResourceInUse')) return;
    throw error;
  }
}

function progress(log: CleanupLog, domainId: string, complete: boolean, detail: string, attributes: Record<string, unknown> = {}): CleanupProgress {
  log.info(detail, { domainId, complete, ...attributes });
  return { complete, detail };
}
