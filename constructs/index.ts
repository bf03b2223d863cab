export * from './mlops-storage';
export * from './model-registry';
