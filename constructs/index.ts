export * from './mlops-storage';
