/**
 * Properties of the endpoint clean-up custom resource; the construct that declares it uses these keys.
 *
 * The endpoint name travels as a resource property rather than an environment variable: when it
 * changes, CloudFormation replaces the custom resource and sends the Delete with the *old*
 * properties, so the endpoint that is no longer managed is the one removed.
 */
export const ENDPOINT_CLEANUP_PROPERTIES = {
  /** Endpoint whose models, endpoint configs, autoscaling target and the endpoint itself are removed on Delete. */
  ENDPOINT_NAME: 'EndpointName',
  /**
   * Optional: the data-quality monitoring schedule the deployer keeps on the endpoint. On Delete it
   * is removed, then the job definitions tagged for the endpoint, before the endpoint: SageMaker
   * deletes no endpoint a schedule still monitors. Absent: monitoring resources are not touched.
   */
  MONITORING_SCHEDULE_NAME: 'MonitoringScheduleName',
  /**
   * Optional: the model-quality monitoring schedule the deployer keeps on the endpoint. On Delete it
   * is removed, then the model-quality job definitions tagged for the endpoint, before the endpoint.
   */
  MODEL_QUALITY_SCHEDULE_NAME: 'ModelQualityScheduleName',
} as const;
