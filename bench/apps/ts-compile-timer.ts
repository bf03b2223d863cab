import { writeFileSync } from 'node:fs';

/**
 * Imported first by the bench app: records how long the process ran before app code (node,
 * ts-node, typescript and the entry file) and sums the time ts-node then spends transpiling each
 * .ts file, which aws-cdk-lib's own performance counters cannot see. Written at exit to
 * BENCH_PROFILE_FILE.
 */
export interface TsProfile {
  readonly startupMs: number;
  readonly tsCompileMs: number;
  readonly tsFiles: number;
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

process.on('exit', () => {
  const file = process.env.BENCH_PROFILE_FILE;
  if (file) writeFileSync(file, JSON.stringify({ startupMs, tsCompileMs, tsFiles } satisfies TsProfile));
});
