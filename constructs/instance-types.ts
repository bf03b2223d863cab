/**
 * SageMaker instance types by the job that uses them. SageMaker rejects an instance type that is
 * valid for one use but not another (no `ml.t3` training jobs, no `ml.t3` hosting), and cfn-lint
 * does not check these, so the stage config validates against this table.
 *
 * Source: the InstanceType enums of CreateProcessingJob (ProcessingInstanceType),
 * CreateTrainingJob (TrainingInstanceType) and CreateEndpointConfig (ProductionVariantInstanceType)
 * in the SageMaker API reference, trimmed to current-generation families.
 */

/** The job an instance type is used for. */
export type InstanceUse = 'processing' | 'training' | 'hosting';

type FamilySizes = Readonly<Record<string, readonly string[]>>;

const GENERAL = ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge'];
const C5 = ['xlarge', '2xlarge', '4xlarge', '9xlarge', '18xlarge'];
const G4DN = ['xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'];
const G5 = ['xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '48xlarge'];
const M5 = ['large', 'xlarge', '2xlarge', '4xlarge', '12xlarge', '24xlarge'];
const P3 = ['2xlarge', '8xlarge', '16xlarge'];
const T3 = ['medium', 'large', 'xlarge', '2xlarge'];

const PROCESSING: FamilySizes = {
  t3: T3,
  m5: M5,
  m6i: GENERAL,
  c5: C5,
  c6i: GENERAL,
  r5: M5,
  r6i: GENERAL,
  g4dn: G4DN,
  g5: G5,
  p3: P3,
};

const TRAINING: FamilySizes = {
  m5: M5,
  m6i: GENERAL,
  c5: C5,
  c5n: ['xlarge', '2xlarge', '4xlarge', '9xlarge', '18xlarge'],
  c6i: GENERAL,
  r5: M5,
  r6i: GENERAL,
  g4dn: G4DN,
  g5: G5,
  p3: P3,
  p3dn: ['24xlarge'],
  p4d: ['24xlarge'],
  p5: ['48xlarge'],
  trn1: ['2xlarge', '32xlarge'],
};

const HOSTING: FamilySizes = {
  t2: ['medium', 'large', 'xlarge', '2xlarge'],
  m5: M5,
  m6i: GENERAL,
  c5: ['large', ...C5],
  c6i: GENERAL,
  r5: M5,
  r6i: GENERAL,
  g4dn: G4DN,
  g5: G5,
  inf1: ['xlarge', '2xlarge', '6xlarge', '24xlarge'],
  inf2: ['xlarge', '8xlarge', '24xlarge', '48xlarge'],
  p3: P3,
};

function expand(families: FamilySizes): readonly string[] {
  return Object.entries(families).flatMap(([family, sizes]) => sizes.map((size) => `ml.${family}.${size}`));
}

/** Every instance type SageMaker accepts for each use, e.g. `INSTANCE_TYPES.training`. */
export const INSTANCE_TYPES: Readonly<Record<InstanceUse, readonly [string, ...string[]]>> = {
  processing: expand(PROCESSING) as [string, ...string[]],
  training: expand(TRAINING) as [string, ...string[]],
  hosting: expand(HOSTING) as [string, ...string[]],
};

/** True when SageMaker accepts `instanceType` for `use`. */
export function isInstanceTypeFor(use: InstanceUse, instanceType: string): boolean {
  return INSTANCE_TYPES[use].includes(instanceType);
}
