/**
 * Properties of the Studio clean-up custom resource; the construct that declares it uses these keys.
 *
 * The domain ID travels as a resource property: when the domain is replaced, CloudFormation
 * replaces the custom resource too and sends the Delete with the *old* properties, so the domain
 * that is no longer managed is the one removed.
 */
export const STUDIO_CLEANUP_PROPERTIES = {
  /** The domain whose apps, spaces, user profiles and home EFS file system are removed on Delete, then the domain itself. */
  DOMAIN_ID: 'DomainId',
  /**
   * `destroy` or `retain` (see {@link STUDIO_REMOVAL_POLICIES}). The custom resource exists under
   * both, so a stage switched from destroy to retain updates it rather than deleting it (a Delete
   * would remove the domain the stage now keeps); a Delete under `retain` removes nothing.
   */
  REMOVAL_POLICY: 'RemovalPolicy',
} as const;

/** The values of the RemovalPolicy property. */
export const STUDIO_REMOVAL_POLICIES = { DESTROY: 'destroy', RETAIN: 'retain' } as const;

/** SageMaker's pattern for domain IDs (DeleteDomain's DomainId). */
export const DOMAIN_ID_PATTERN = /^d-(-*[a-z0-9]){1,61}$/;
