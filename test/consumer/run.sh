#!/usr/bin/env bash
# The package as its users get it: pack the tarball, install it into a new app in an empty temp
# folder from the local npm cache only (no network), compile the app with tsc, synthesize it, and
# check what it holds. Prints the tarball's size and file count and the app's synth time.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CDK_DISABLE_VERSION_CHECK=1 AWS_EC2_METADATA_DISABLED=true

echo "--- npm pack (runs the prepack build)"
(cd "$repo" && npm pack --pack-destination "$work" > "$work/pack.log" 2>&1) || { cat "$work/pack.log"; exit 1; }
tarball=$(ls "$work"/cdk-mlops-*.tgz)
files=$(tar -tzf "$tarball" | wc -l)
echo "tarball: $(basename "$tarball"), $(du -k "$tarball" | cut -f1) KB, $files files"

echo "--- a new app installs it offline, with the versions this repository tests"
app="$work/app"
mkdir -p "$app/src"
cp "$repo/test/consumer/app.ts" "$app/src/app.ts"
node - "$repo" "$tarball" "$app" <<'JS'
const [repo, tarball, app] = process.argv.slice(2);
const fs = require('fs');
const own = require(`${repo}/package.json`);
const pinned = (name) => own.devDependencies[name];
fs.writeFileSync(`${app}/package.json`, JSON.stringify({
  name: 'team-ml-app', private: true, version: '1.0.0',
  dependencies: {
    'cdk-mlops': `file:${tarball}`,
    'aws-cdk-lib': pinned('aws-cdk-lib'), constructs: pinned('constructs'), 'cdk-nag': pinned('cdk-nag'),
  },
  devDependencies: { typescript: pinned('typescript'), '@types/node': pinned('@types/node') },
}, null, 2));
// The compiler options `cdk init app --language typescript` writes, emitting JavaScript to dist/.
const init = JSON.parse(fs.readFileSync(`${repo}/node_modules/aws-cdk/lib/init-templates/app/typescript/tsconfig.json`, 'utf8'));
const { noEmit, typeRoots, types, ...compilerOptions } = init.compilerOptions;
fs.writeFileSync(`${app}/tsconfig.json`, JSON.stringify({ compilerOptions: { ...compilerOptions, types: ['node'], outDir: 'dist', rootDir: 'src' }, include: ['src'] }, null, 2));
JS
node "$repo/test/consumer/offline-lockfile.js" "$repo" "$app" "$tarball"
(cd "$app" && npm ci --offline --no-audit --no-fund > "$work/install.log" 2>&1) || { cat "$work/install.log"; exit 1; }

echo "--- tsc compiles the app against the package's type declarations"
(cd "$app" && npx tsc -p .)

echo "--- the public entry holds the app level too"
(cd "$app" && node -e "
const m = require('cdk-mlops');
const missing = ['MlopsStack', 'loadStageConfig', 'parseStageConfig', 'stageConfigSchema', 'addMlopsStage', 'PipelineDefinition', 'ProcessingStep', 'TrainingPipeline', 'ModelRegistry', 'resourceNames', 'INSTANCE_TYPES'].filter((name) => !(name in m));
if (missing.length) { console.error('not exported:', missing.join(', ')); process.exit(1); }
console.log('exports', Object.keys(m).length, 'names');
")
(cd "$app" && npx cdk-mlops --help >/dev/null) && echo "the cdk-mlops command runs from the app"

echo "--- synth"
start=$(date +%s%N)
(cd "$app" && node dist/app.js > report.json)
echo "synth: $(( ($(date +%s%N) - start) / 1000000 )) ms"
cat "$app/report.json"
node - "$app/report.json" <<'JS'
const report = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
const problems = [];
if (report.buckets !== 1 || report.keys !== 1) problems.push(`expected only the user's bucket and key, found ${report.buckets} buckets and ${report.keys} keys`);
if (report.modelPackageGroups !== 0) problems.push(`expected the existing group to be used, found ${report.modelPackageGroups} new groups`);
if (report.pipelines !== 1 || report.functions < 1) problems.push(`expected a pipeline and the deployer, found ${report.pipelines} pipelines and ${report.functions} functions`);
for (const finding of report.packageOwnedFindings) problems.push(`unacknowledged ${finding.rule} at ${finding.path}`);
if (problems.length) { console.error(problems.map((problem) => `consumer app: ${problem}`).join('\n')); process.exit(1); }
console.log(`consumer app: ${report.resources} resources, nag-clean for what the package owns (${report.userOwnedFindings.length} findings on the user's own bucket and key are theirs)`);
JS

echo "--- the whole loop from the installed package (npx cdk-mlops local run), when moto is installed"
if command -v moto_server > /dev/null; then
  (cd "$app" && npx cdk-mlops local run --stage dev --json > local-run.json 2> "$work/local-run.log") || { cat "$work/local-run.log"; cat "$app/local-run.json"; exit 1; }
  node - "$app/local-run.json" <<'JS'
const report = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
const ok = report.status === 'Succeeded' && report.endpoint?.servedPackageVersion === report.modelPackage?.version && report.monitoring?.violations === 0;
if (!ok) { console.error('local run from the package:', JSON.stringify(report, null, 2)); process.exit(1); }
console.log(`local run: ${report.status}, version ${report.modelPackage.version} served, ${report.traffic.captured} captured, ${report.monitoring.violations} violations, ${report.phases.reduce((sum, phase) => sum + phase.seconds, 0).toFixed(1)} s`);
JS
else
  echo "local run: not run (moto_server is not installed: pip install \"moto[server]\")"
fi
