import { synthParts } from '../../bench/breakdown';
import type { AppRun } from '../../bench/synth';

function run(wallMs: number, counters: Record<string, number>, bundlingMs = 1000): AppRun {
  return { wallMs, cpuMs: 0, outdir: '', counters, tsProfile: { startupMs: 300, tsCompileMs: 700, tsFiles: 32, bundlingMs, bundles: 3 } };
}

describe('synth breakdown', () => {
  test("splits aws-cdk-lib's phases and the validation span into parts that add up to the wall time", () => {
    // GIVEN a run with everything on, and one without the nag packs
    const full = run(7000, {
      'phase:Load': 1400,
      'phase:Construction': 1500,
      'phase:Synthesis': 3500,
      validateTemplates: 3000,
      'CloudFormationValidate.validate': 600,
    });
    const withoutNag = run(6400, { validateTemplates: 2400 });
    // WHEN
    const parts = synthParts([full], [withoutNag]);
    // THEN
    expect(parts).toEqual({
      startup: 300,
      tsCompile: 700,
      moduleLoad: 400,
      construction: 500,
      bundling: 1000,
      synthesis: 500,
      validationEngine: 1800,
      validationChecks: 600,
      nag: 600,
      exit: 600,
    });
    expect(Object.values(parts).reduce((sum, ms) => sum + ms, 0)).toBe(full.wallMs);
  });
});
