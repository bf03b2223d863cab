export * from './mlops-storage';
export * from './model-registry';
export * from './retraining-schedule';
export * from './mlops-monitoring';
export * from './sagemaker-image';
export * from './feature-processing';
export * from './training-pipeline';
export * from './inference-endpoint';
