#!/usr/bin/env node
import { terminalIo } from '../lib/cli/output';
import { runCli } from '../lib/cli/program';

// The operator CLI: `cdk-mlops --help`. Parsing and the commands live in lib/cli/.
void runCli(process.argv.slice(2), {
  io: terminalIo(),
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  pollIntervalMs: 15_000,
  cwd: process.cwd(),
}).then((exitCode) => {
  process.exitCode = exitCode;
});
