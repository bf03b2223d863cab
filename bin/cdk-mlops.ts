#!/usr/bin/env node
import { terminalIo } from '../lib/cli/output';
import { runCli } from '../lib/cli/program';

// The SDK's clients warn on Node 20 that later SDK releases need Node 22: nine lines before every
// command's output that the operator can do nothing about here. The SDK reads this variable when
// the first client is created (in the command, after this line); a value the user set wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

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
