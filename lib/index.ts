// The package's public entry: the reusable constructs and the typed pipeline builder
// (constructs/), and the whole environment as a stack with its stage config (this folder).
export * from '../constructs';
export * from './stage-config';
export * from './config-loader';
export * from './mlops-stack';
export * from './mlops-app';
