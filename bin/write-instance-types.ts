// Writes constructs/sagemaker-instance-types.json from the InstanceType enums of the installed
// @aws-sdk/client-sagemaker (`npm run generate:instance-types` after bumping the SDK). Synth reads
// the JSON: loading the SDK's one CommonJS bundle costs about 200 ms per synth, the JSON nothing.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessingInstanceType, ProductionVariantInstanceType, TrainingInstanceType, TransformInstanceType } from '@aws-sdk/client-sagemaker';
import { version } from '@aws-sdk/client-sagemaker/package.json';
import { sortInstanceTypes } from '../constructs/instance-types';

const file = join(__dirname, '..', 'constructs', 'sagemaker-instance-types.json');
const lists = {
  processing: ProcessingInstanceType,
  training: TrainingInstanceType,
  hosting: ProductionVariantInstanceType,
  transform: TransformInstanceType,
};
const snapshot = {
  source: `@aws-sdk/client-sagemaker ${version}`,
  enums: 'ProcessingInstanceType, TrainingInstanceType, ProductionVariantInstanceType, TransformInstanceType',
  ...Object.fromEntries(Object.entries(lists).map(([use, values]) => [use, sortInstanceTypes(Object.values(values))])),
};
writeFileSync(file, `${JSON.stringify(snapshot, null, 2)}\n`);
console.log(`wrote ${file}: ${Object.keys(lists).map((use) => `${use} ${(snapshot as Record<string, unknown[] | string>)[use].length}`).join(', ')}`);
