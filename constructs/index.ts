export * from './mlops-storage';
export * from './model-registry';
export * from './retraining-schedule';
export * from './mlops-monitoring';
