#!/usr/bin/env node
import { checkWiring, formatReport } from '../lib/wiring/check';
import { synthesizeStages } from '../lib/wiring/stage-templates';

// `npm run verify:wiring [-- STAGE ...] [--verbose]`: every hand-off of every stage, decided by a
// policy engine; exits 1 when any is denied.
async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const verbose = args.includes('--verbose');
  const stages = args.filter((arg) => !arg.startsWith('--'));
  let denied = 0;
  for (const { stage, region, template } of synthesizeStages(stages.length ? stages : undefined)) {
    const report = await checkWiring(stage, template, region);
    process.stdout.write(`${formatReport(report, { verbose })}\n\n`);
    denied += report.denied;
  }
  return denied ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`verify-wiring: ${error.stack ?? error.message}\n`);
    process.exit(2);
  },
);
