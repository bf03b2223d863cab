/**
 * Properties of the batch clean-up custom resource; the construct that declares it uses these keys.
 *
 * The scorer's name travels as a resource property, so a renamed scorer replaces the custom
 * resource and the Delete (with the old properties) cleans up what the old name created.
 */
export const BATCH_CLEANUP_PROPERTIES = {
  /** Scorer whose running transform jobs are stopped and whose models are deleted on Delete. */
  SCORER_NAME: 'ScorerName',
} as const;
