import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SynthesizedStack } from './assembly';

/** One bundled Lambda function of the assembly; stages that ship identical code share one bundle. */
export interface LambdaBundle {
  readonly name: string;
  readonly assetHash: string;
  readonly stacks: string[];
  /** The bundle's index.js in the assembly's asset.* folder. */
  readonly file: string;
  readonly bytes: number;
  /** The function's environment variables that are plain strings in the template. */
  readonly environment: Record<string, string>;
}

/** The Lambda functions of `stacks` whose code is an asset folder with an index.js in `outdir`. */
export function lambdaBundles(outdir: string, stacks: readonly SynthesizedStack[]): LambdaBundle[] {
  const bundles = new Map<string, LambdaBundle>();
  for (const stack of stacks) {
    for (const resource of Object.values(stack.template.Resources ?? {})) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const code = resource.Properties?.Code as { S3Key?: unknown } | undefined;
      const assetHash = typeof code?.S3Key === 'string' ? /^([0-9a-f]{64})\.zip$/.exec(code.S3Key)?.[1] : undefined;
      const asset = assetHash ? stack.assets.files?.[assetHash] : undefined;
      if (!assetHash || !asset?.source.path) continue;
      const file = join(outdir, asset.source.path, 'index.js');
      if (!existsSync(file)) continue;
      const known = bundles.get(assetHash);
      if (known) {
        known.stacks.push(stack.stackName);
        continue;
      }
      const variables = (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      bundles.set(assetHash, {
        name: functionName(asset.displayName ?? assetHash, stack.stackName),
        assetHash,
        stacks: [stack.stackName],
        file,
        bytes: statSync(file).size,
        environment: Object.fromEntries(
          Object.entries(variables).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
        ),
      });
    }
  }
  return [...bundles.values()];
}

/** "Endpoint/Deployer/Function/Code" → "Endpoint/Deployer/Function"; drops the stack prefix CDK's own providers carry. */
export function functionName(assetDisplayName: string, stackName: string): string {
  return assetDisplayName.replace(/[ /]Code$/, '').replace(new RegExp(`^${stackName}/`), '');
}

/** Cold module-load times of a bundle, or why it could not be loaded here. */
export type ColdLoad = { readonly samples: number[] } | { readonly error: string };

// Runs in a fresh node process: the time `require` of the bundle takes, in milliseconds.
const LOAD_SCRIPT =
  'const start = process.hrtime.bigint(); require(process.argv[1]); ' +
  'process.stdout.write(String(Number(process.hrtime.bigint() - start) / 1e6)); process.exit(0);';

/**
 * Requires the bundle in `runs` fresh node processes with a Lambda-like environment (region and
 * the function's plain variables). The AWS SDK is external in the bundles, so it is resolved from
 * `nodeModules`: the times include loading the SDK clients, which the Lambda runtime provides.
 */
export function coldLoad(bundle: LambdaBundle, runs: number, nodeModules: string): ColdLoad {
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    const result = spawnSync(process.execPath, ['-e', LOAD_SCRIPT, bundle.file], {
      env: { PATH: process.env.PATH, NODE_PATH: nodeModules, AWS_REGION: 'us-east-1', ...bundle.environment },
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      const reason = /Cannot find module '[^']+'/.exec(result.stderr)?.[0] ?? result.stderr.trim().split('\n')[0];
      return { error: `not loadable here: ${reason}` };
    }
    samples.push(Number(result.stdout));
  }
  return { samples };
}
