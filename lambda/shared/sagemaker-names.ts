/**
 * SageMaker's pattern for model, endpoint, group and schedule names (at most 63 characters). Kept
 * here, the leaf of the package, so the handlers and the constructs check names by one rule.
 */
export const SAGEMAKER_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
export const SAGEMAKER_NAME_MAX_LENGTH = 63;
