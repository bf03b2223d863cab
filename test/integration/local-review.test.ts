import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localRun, REPO_ROOT } from './local-run-cli';

// The review gate in the whole loop (`cdk-mlops local run`): a regression model gated on rmse and
// r2 from the shipped example config, and a worse challenger that the champion check stops. Each
// run takes 15-40 s on 2 cores.

jest.setTimeout(240_000);


test('a regression stage (rmse <= 8, r2 >= 0.5) registers and serves its model', async () => {
  const run = await localRun('--config', 'config/examples/delivery-regression.json', '--data', 'ml/data/delivery-sample.csv');
  expect({ exitCode: run.exitCode, status: run.report?.status, stderrTail: run.stderr.slice(-2000) }).toMatchObject({ exitCode: 0, status: 'Succeeded' });
  const { review, modelPackage, monitoring } = run.report;
  expect(review).toMatchObject({ passed: true, checks: [{ check: 'rmse <= 8', passed: true }, { check: 'r2 >= 0.5', passed: true }, { check: 'champion rmse (margin 0.5)', passed: true }] });
  expect(review!.checks[0].value).toBeLessThan(8);
  expect(modelPackage).toMatchObject({ version: 1, approvalStatus: 'Approved' });
  // The regression model's predictions fill the baseline's output column, so clean traffic shows no drift.
  expect(monitoring).toMatchObject({ violations: 0 });
});

test('a binary stage with a champion rejects a worse challenger, naming the check', async () => {
  // GIVEN the dev stage with a champion margin and a bias report (|DPL| of customers over 60 at most 0.5),
  // and the sample with a fifth of its labels flipped
  const dir = mkdtempSync(join(tmpdir(), 'cdk-mlops-challenger-'));
  const config = JSON.parse(readFileSync(join(REPO_ROOT, 'config', 'dev.json'), 'utf8'));
  delete config.$schema;
  config.review.championMargin = 0.02;
  config.review.bias = { facet: 'age', facetValues: [60], metrics: ['CI', 'DPL'] };
  config.review.checks.push({ metric: 'DPL', threshold: 0.5 });
  writeFileSync(join(dir, 'dev-champion.json'), JSON.stringify(config));
  const [header, ...rows] = readFileSync(join(REPO_ROOT, 'ml', 'data', 'churn-sample.csv'), 'utf8').trim().split('\n');
  const label = header.split(',').indexOf('churn');
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const flipped = rows.map((row) => {
    const cells = row.split(',');
    if (random() < 0.2) cells[label] = cells[label] === '1' ? '0' : '1';
    return cells.join(',');
  });
  writeFileSync(join(dir, 'challenger.csv'), `${[header, ...flipped].join('\n')}\n`);

  // WHEN the loop runs, then trains a challenger on the noisy data
  const run = await localRun('--config', join(dir, 'dev-champion.json'), '--challenger-data', join(dir, 'challenger.csv'));

  // THEN the first model passes (no champion yet) and is registered with its bias report and model card
  expect({ exitCode: run.exitCode, status: run.report?.status, stderrTail: run.stderr.slice(-2000) }).toMatchObject({ exitCode: 0, status: 'Succeeded' });
  expect(run.report.review).toMatchObject({ passed: true, champion: null, checks: [{ check: 'auc >= 0.6' }, { check: '|DPL| <= 0.5', passed: true }, { passed: true }] });
  expect(run.report.pipeline!.steps.map((step) => step.name)).toEqual(expect.arrayContaining(['BiasConfig', 'BiasReport']));
  expect(run.report.modelPackage).toMatchObject({ modelCardStatus: 'Draft', biasReportS3Uri: expect.stringMatching(/\/bias\/[a-z0-9]+\/analysis\.json$/) });
  // ... and the challenger clears the thresholds but not the champion
  const { challenger } = run.report;
  expect(challenger).toMatchObject({ outcome: 'Rejected', modelPackage: null, review: { passed: false, champion: { version: 1 } } });
  const [threshold, bias, champion] = challenger!.review!.checks;
  expect(threshold).toMatchObject({ check: 'auc >= 0.6', passed: true });
  expect(bias).toMatchObject({ check: '|DPL| <= 0.5', passed: true });
  expect(champion).toMatchObject({ check: 'champion auc (margin 0.02)', passed: false });
  expect(challenger!.reason).toMatch(/^The model is not registered: 1 of 3 review checks failed: auc 0\.\d+ is worse than champion version 1's 0\.\d+ by more than the margin 0\.02 \(needs >= 0\.\d+\)\.$/);
});
