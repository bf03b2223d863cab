import { writeFileSync } from 'node:fs';
import * as esbuild from 'esbuild';

/**
 * Imported first by the bench app: records how long the process ran before app code (node,
 * ts-node, typescript and the entry file), sums the time ts-node then spends transpiling each .ts
 * file, and the time the Lambda handlers spend bundling in esbuild.buildSync — neither of which
 * aws-cdk-lib's own performance counters see. Written at exit to BENCH_PROFILE_FILE.
 */
export interface TsProfile {
  readonly startupMs: number;
  readonly tsCompileMs: number;
  readonly tsFiles: number;
  readonly bundlingMs: number;
  readonly bundles: number;
}

const startupMs = performance.now();
let tsCompileMs = 0;
let tsFiles = 0;

type Compile = (code: string, fileName: string, lineOffset?: number) => string;
const service = (process as unknown as Record<symbol, { compile: Compile } | undefined>)[Symbol.for('ts-node.register.instance')];
if (service) {
  const compile = service.compile;
  service.compile = (code, fileName, lineOffset) => {
    const start = performance.now();
    try {
      return compile(code, fileName, lineOffset);
    } finally {
      tsCompileMs += performance.now() - start;
      tsFiles += 1;
    }
  };
}

// constructs/secure-function.ts requires esbuild when it bundles: it gets these exports from the
// module cache (esbuild's own exports are read-only getters, so they are replaced as a whole).
let bundlingMs = 0;
let bundles = 0;
const cached = require.cache[require.resolve('esbuild')];
if (cached) {
  cached.exports = {
    ...esbuild,
    buildSync: ((options: esbuild.BuildOptions) => {
      const start = performance.now();
      try {
        return esbuild.buildSync(options);
      } finally {
        bundlingMs += performance.now() - start;
        bundles += 1;
      }
    }) as typeof esbuild.buildSync,
  };
}

process.on('exit', () => {
  const file = process.env.BENCH_PROFILE_FILE;
  if (file) writeFileSync(file, JSON.stringify({ startupMs, tsCompileMs, tsFiles, bundlingMs, bundles } satisfies TsProfile));
});
