import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeModelPackageCommand, ListModelPackagesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { BIAS_CONFIG_REQUEST, readReviewSettings, REVIEW_ENV, REVIEW_OUTPUT, REVIEW_REQUEST, ReviewPolicy, ReviewSettings } from '../../lambda/review-gate/environment';
import { reviewModel, ReviewRequest, writeBiasAnalysisConfig } from '../../lambda/review-gate/review';
import { METRICS_SECTION, ProblemType } from '../../lambda/shared/model-metrics';
import { fits, SAGEMAKER_LIMITS } from '../../lambda/shared/sagemaker-limits';

// The review gate's logic (reviewModel) with S3 and SageMaker mocked: the checks, the champion
// comparison, what it writes and answers, and its refusals; the BiasConfig step's
// writeBiasAnalysisConfig; then readReviewSettings.

const s3 = mockClient(S3Client);
const sagemaker = mockClient(SageMakerClient);
const clients = { s3: new S3Client({}), sagemaker: new SageMakerClient({}) };

const BUCKET = 'churn-artifacts';
const GROUP = 'churn-prod-models';
const EVALUATION_URL = `s3://${BUCKET}/evaluation/exec1/evaluation.json`;
const BIAS_URL = `s3://${BUCKET}/bias/exec1/analysis.json`;
const REVIEW_URL = `s3://${BUCKET}/review/exec1`;
const CHAMPION_URL = `s3://${BUCKET}/evaluation/exec0/evaluation.json`;
const CHAMPION_ARN = `arn:aws:sagemaker:us-east-1:111122223333:model-package/${GROUP}/3`;
const REVIEWED_AT = new Date('2026-12-01T10:00:00.000Z');

function settings(policy: Partial<ReviewPolicy> = {}): ReviewSettings {
  return {
    modelPackageGroupName: GROUP,
    artifactsBucket: BUCKET,
    policy: {
      problemType: 'binary',
      checks: [{ metric: 'auc', comparison: '>=', threshold: 0.75 }],
      modelCard: { intendedUse: 'Ranks customers by churn risk for retention offers.', riskRating: 'Medium' },
      ...policy,
    },
  };
}

/** The event the pipeline's Review step sends. */
function request(extra: Record<string, unknown> = {}): ReviewRequest {
  return {
    [REVIEW_REQUEST.EVALUATION_REPORT_URL]: EVALUATION_URL,
    [REVIEW_REQUEST.BIAS_REPORT_URL]: '',
    [REVIEW_REQUEST.REVIEW_OUTPUT_URL]: REVIEW_URL,
    [REVIEW_REQUEST.FIRST_CHECK_THRESHOLD]: 0.75,
    [REVIEW_REQUEST.INPUT_DATA_URL]: 's3://churn-data/raw/',
    [REVIEW_REQUEST.MODEL_DATA_URL]: `s3://${BUCKET}/models/exec1/pipelines-exec1-train/output/model.tar.gz`,
    [REVIEW_REQUEST.PIPELINE_EXECUTION_ID]: 'exec1',
    [REVIEW_REQUEST.TRIGGER_REASON]: 'drift',
    ...extra,
  };
}

/** evaluation.json as ml/evaluation.py writes it (Model Monitor's model-quality format). */
function evaluation(metrics: Record<string, number>, problemType: ProblemType = 'binary'): string {
  return JSON.stringify({
    [METRICS_SECTION[problemType]]: Object.fromEntries(Object.entries(metrics).map(([name, value]) => [name, { value, standard_deviation: 'NaN' }])),
  });
}

/** analysis.json as Clarify writes it: the pre-training metrics of each facet value analysed. */
function analysis(facets: Record<string, Record<string, Record<string, number>>>): string {
  return JSON.stringify({
    version: '1.0',
    pre_training_bias_metrics: {
      label: 'churn',
      label_value_or_threshold: '1',
      facets: Object.fromEntries(
        Object.entries(facets).map(([facet, groups]) => [
          facet,
          Object.entries(groups).map(([group, metrics]) => ({
            value_or_threshold: group,
            metrics: Object.entries(metrics).map(([name, value]) => ({ name, description: `${name} of ${facet}`, value })),
          })),
        ]),
      ),
    },
  });
}

/** The bucket's objects by s3:// URL; any other key is NoSuchKey, as S3 answers. */
function storedObjects(objects: Record<string, string>): void {
  s3.on(GetObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
    const text = objects[`s3://${input.Bucket}/${input.Key}`];
    if (text === undefined) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
    return { Body: { transformToString: async () => text } } as never;
  });
}

/** The group's newest approved package, whose ModelQuality statistics are `reportUrl` (null: it registered none). */
function championVersion(version: number, reportUrl: string | null = CHAMPION_URL): void {
  sagemaker.on(ListModelPackagesCommand).resolves({
    ModelPackageSummaryList: [{ ModelPackageArn: CHAMPION_ARN, ModelPackageGroupName: GROUP, ModelPackageVersion: version, ModelPackageStatus: 'Completed', CreationTime: new Date() }],
  });
  sagemaker.on(DescribeModelPackageCommand, { ModelPackageName: CHAMPION_ARN }).resolves({
    ModelPackageArn: CHAMPION_ARN,
    ModelPackageVersion: version,
    ModelMetrics: reportUrl ? { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: reportUrl } } } : {},
  });
}

function review(policy: Partial<ReviewPolicy> = {}, extra: Record<string, unknown> = {}) {
  return reviewModel(clients, settings(policy), request(extra), () => REVIEWED_AT);
}

/** The JSON body written to `key` of the artifacts bucket. */
function written(key: string): any {
  const call = s3.commandCalls(PutObjectCommand).find((candidate) => candidate.args[0].input.Key === key);
  if (!call) throw new Error(`nothing was written to ${key}; written: ${s3.commandCalls(PutObjectCommand).map((candidate) => candidate.args[0].input.Key).join(', ')}`);
  return JSON.parse(String(call.args[0].input.Body));
}

beforeEach(() => {
  s3.reset();
  sagemaker.reset();
  s3.on(PutObjectCommand).resolves({});
});

describe('reviewModel: the checks', () => {
  test('passes when every check holds, with a summary and no failure message', async () => {
    // GIVEN
    storedObjects({ [EVALUATION_URL]: evaluation({ auc: 0.84, f1: 0.71 }) });

    // WHEN
    const { answer, report } = await review({ checks: [{ metric: 'auc', comparison: '>=', threshold: 0.75 }, { metric: 'f1', comparison: '>', threshold: 0.7 }] });

    // THEN
    expect(answer).toEqual({
      [REVIEW_OUTPUT.PASSED]: true,
      [REVIEW_OUTPUT.SUMMARY]: 'passed: auc 0.84 at least 0.75 / f1 0.71 above 0.7',
      [REVIEW_OUTPUT.FAILURE_MESSAGE]: '',
      [REVIEW_OUTPUT.REPORT_URL]: `${REVIEW_URL}/review.json`,
      [REVIEW_OUTPUT.MODEL_CARD]: expect.any(String),
    });
    expect(report.checks).toEqual([
      { check: 'auc >= 0.75', metric: 'auc', value: 0.84, threshold: 0.75, passed: true, detail: 'auc 0.84 >= 0.75' },
      { check: 'f1 > 0.7', metric: 'f1', value: 0.71, threshold: 0.7, passed: true, detail: 'f1 0.71 > 0.7' },
    ]);
    expect(report).toMatchObject({ passed: true, problemType: 'binary', champion: null, evaluationReportUrl: EVALUATION_URL, biasReportUrl: null, reviewedAt: '2026-12-01T10:00:00.000Z' });
    // Without a champion margin the registry is not asked.
    expect(sagemaker.calls()).toHaveLength(0);
  });

  test('fails naming every failed check with its value and what it needed, and the summary marks them', async () => {
    // GIVEN
    storedObjects({ [EVALUATION_URL]: evaluation({ auc: 0.7, f1: 0.5, accuracy: 0.9 }) });

    // WHEN
    const { answer, report } = await review({
      checks: [
        { metric: 'auc', comparison: '>=', threshold: 0.75 },
        { metric: 'accuracy', comparison: '>=', threshold: 0.8 },
        { metric: 'f1', comparison: '>=', threshold: 0.6 },
      ],
    });

    // THEN
    expect(answer[REVIEW_OUTPUT.PASSED]).toBe(false);
    expect(report.passed).toBe(false);
    expect(answer[REVIEW_OUTPUT.FAILURE_MESSAGE]).toBe(
      'The model is not registered: 2 of 3 review checks failed: auc 0.7 < 0.75 (needs >= 0.75); f1 0.5 < 0.6 (needs >= 0.6).',
    );
    expect(answer[REVIEW_OUTPUT.SUMMARY]).toBe(
      'failed: FAILED auc 0.7 below 0.75 needs at least 0.75 / accuracy 0.9 at least 0.8 / FAILED f1 0.5 below 0.6 needs at least 0.6',
    );
    expect(report.checks.map((check) => [check.check, check.passed])).toEqual([
      ['auc >= 0.75', false],
      ['accuracy >= 0.8', true],
      ['f1 >= 0.6', false],
    ]);
  });

  test.each<[string, ProblemType, ReviewPolicy['checks'][number], Record<string, number>, boolean, string]>([
    ['rmse <= 5 passes a lower rmse', 'regression', { metric: 'rmse', comparison: '<=', threshold: 5 }, { rmse: 4.2 }, true, 'rmse 4.2 <= 5'],
    ['rmse <= 5 fails a higher rmse', 'regression', { metric: 'rmse', comparison: '<=', threshold: 5 }, { rmse: 5.3 }, false, 'rmse 5.3 > 5 (needs <= 5)'],
    ['rmse < 5 fails rmse 5 itself', 'regression', { metric: 'rmse', comparison: '<', threshold: 5 }, { rmse: 5 }, false, 'rmse 5 >= 5 (needs < 5)'],
    ['r2 >= 0.8 passes a higher r2', 'regression', { metric: 'r2', comparison: '>=', threshold: 0.8 }, { r2: 0.83 }, true, 'r2 0.83 >= 0.8'],
    ['false_positive_rate <= 0.1 fails a higher rate', 'binary', { metric: 'false_positive_rate', comparison: '<=', threshold: 0.1 }, { false_positive_rate: 0.12 }, false, 'false_positive_rate 0.12 > 0.1 (needs <= 0.1)'],
    ['weighted_f1 >= 0.7 reads the multiclass section', 'multiclass', { metric: 'weighted_f1', comparison: '>=', threshold: 0.7 }, { weighted_f1: 0.74 }, true, 'weighted_f1 0.74 >= 0.7'],
  ])('compares in the direction of the metric: %s', async (_, problemType, check, metrics, passed, detail) => {
    // GIVEN the problem type's section of evaluation.json
    storedObjects({ [EVALUATION_URL]: evaluation(metrics, problemType) });

    // WHEN
    const { answer, report } = await review({ problemType, checks: [check] }, { [REVIEW_REQUEST.FIRST_CHECK_THRESHOLD]: '' });

    // THEN
    expect(answer[REVIEW_OUTPUT.PASSED]).toBe(passed);
    expect(report.checks[0]).toMatchObject({ passed, detail, value: metrics[check.metric], threshold: check.threshold });
  });

  test('a run overrides the threshold of the first check only (the MetricThreshold parameter), as a number or as text', async () => {
    // GIVEN auc 0.84 and f1 0.71, both above the configured thresholds
    storedObjects({ [EVALUATION_URL]: evaluation({ auc: 0.84, f1: 0.71 }) });
    const checks = [
      { metric: 'auc', comparison: '>=' as const, threshold: 0.75 },
      { metric: 'f1', comparison: '>=' as const, threshold: 0.7 },
    ];

    // WHEN the run raises the first threshold to 0.9
    const raised = await review({ checks }, { [REVIEW_REQUEST.FIRST_CHECK_THRESHOLD]: 0.9 });
    const asText = await review({ checks }, { [REVIEW_REQUEST.FIRST_CHECK_THRESHOLD]: '0.9' });
    const absent = await review({ checks }, { [REVIEW_REQUEST.FIRST_CHECK_THRESHOLD]: undefined });

    // THEN auc is held to 0.9, f1 still to its own 0.7
    expect(raised.report.checks.map((check) => [check.check, check.passed])).toEqual([
      ['auc >= 0.9', false],
      ['f1 >= 0.7', true],
    ]);
    expect(raised.answer[REVIEW_OUTPUT.FAILURE_MESSAGE]).toBe('The model is not registered: 1 of 2 review checks failed: auc 0.84 < 0.9 (needs >= 0.9).');
    expect(asText.report.checks).toEqual(raised.report.checks);
    expect(absent.report.checks.map((check) => check.check)).toEqual(['auc >= 0.75', 'f1 >= 0.7']);
  });

  test('fails when a check names a metric the evaluation report does not hold, naming it', async () => {
    // GIVEN
    storedObjects({ [EVALUATION_URL]: evaluation({ auc: 0.84 }) });

    // WHEN
    const { answer, report } = await review({ checks: [{ metric: 'auc', comparison: '>=', threshold: 0.75 }, { metric: 'f2', comparison: '>=', threshold: 0.5 }] });

    // THEN
    expect(answer[REVIEW_OUTPUT.PASSED]).toBe(false);
    expect(report.checks[1]).toEqual({
      check: 'f2 >= 0.5',
      metric: 'f2',
      value: null,
      threshold: 0.5,
      passed: false,
      detail: 'f2 not found in the evaluation report (f2 >= 0.5 cannot hold)',
    });
  });
});

describe('reviewModel: bias checks', () => {
  const policy = {
    checks: [
      { metric: 'auc', comparison: '>=' as const, threshold: 0.75 },
      { metric: 'DPL', comparison: '<=' as const, threshold: 0.2 },
    ],
  };

  test('bound the absolute value of the worst facet value: a DPL of -0.25 for one group fails |DPL| <= 0.2', async () => {
    // GIVEN two facets, the worst disparity negative
    storedObjects({
      [EVALUATION_URL]: evaluation({ auc: 0.84 }),
      [BIAS_URL]: analysis({ age: { '(60, 95]': { CI: 0.3, DPL: -0.25 } }, region: { north: { CI: -0.1, DPL: 0.12 }, south: { CI: 0.05, DPL: 0.18 } } }),
    });

    // WHEN
    const { answer, report } = await review(policy, { [REVIEW_REQUEST.BIAS_REPORT_URL]: BIAS_URL });

    // THEN
    expect(report.checks[1]).toEqual({ check: '|DPL| <= 0.2', metric: 'DPL', value: 0.25, threshold: 0.2, passed: false, detail: '|DPL| 0.25 > 0.2 (needs <= 0.2)' });
    expect(answer[REVIEW_OUTPUT.FAILURE_MESSAGE]).toBe('The model is not registered: 1 of 2 review checks failed: |DPL| 0.25 > 0.2 (needs <= 0.2).');
    expect(answer[REVIEW_OUTPUT.SUMMARY]).toBe('failed: auc 0.84 at least 0.75 / FAILED abs DPL 0.25 above 0.2 needs at most 0.2');
    expect(report.biasReportUrl).toBe(BIAS_URL);
  });

  test('pass when every group is within the bound, whichever sign its disparity has', async () => {
    // GIVEN
    storedObjects({
      [EVALUATION_URL]: evaluation({ auc: 0.84 }),
      [BIAS_URL]: analysis({ age: { '(60, 95]': { DPL: -0.19 } }, region: { north: { DPL: 0.05 } } }),
    });

    // WHEN
    const { answer, report } = await review(policy, { [REVIEW_REQUEST.BIAS_REPORT_URL]: BIAS_URL });

    // THEN
    expect(answer[REVIEW_OUTPUT.PASSED]).toBe(true);
    expect(report.checks[1]).toMatchObject({ value: 0.19, passed: true, detail: '|DPL| 0.19 <= 0.2' });
  });

  test('fail when no bias report was computed, saying so', async () => {
    // GIVEN no BiasReportUrl in the event
    storedObjects({ [EVALUATION_URL]: evaluation({ auc: 0.84 }) });

    // WHEN
    const { report } = await review(policy);

    // THEN
    expect(report.checks[1]).toMatchObject({ passed: false, value: null, detail: expect.stringMatching(/^no bias report was computed for DPL \(\|DPL\| <= /) });
  });
});

describe('reviewModel: the champion', () => {
  const withMargin = (championMargin: number, problemType: ProblemType = 'binary', checks: ReviewPolicy['checks'] = [{ metric: 'auc', comparison: '>=', threshold: 0.75 }]) =>
    review({ championMargin, problemType, checks });

  test('passes a first model, noting that the group has no approved version, and asks for the newest approved one', async () => {
    // GIVEN
    storedObjects({ [EVALUATION_URL]: evaluation({ auc: 0.84 }) });
    sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [] });

    // WHEN
    const { answer, report } = await withMargin(0.01);

    // THEN
    expect(answer[REVIEW_OUTPUT.PASSED]).toBe(true);
    expect(report.champion).toBeNull();
    expect(report.checks[1]).toEqual({
      check: 'champion auc (margin 0.01)',
      metric: 'auc',
      value: 0.84,
      threshold: null,
      passed: true,
      detail: `no approved version in ${GROUP} yet: the first model has no champion to beat`,
    });
    expect(sagemaker).toHaveReceivedCommandWith(ListModelPackagesCommand, {
      ModelPackageGroupName: GROUP,
      ModelApprovalStatus: 'Approved',
      SortBy: 'CreationTime',
      SortOrder: 'Descending',
      MaxResults: 1,
    });
    expect(sagemaker).not.toHaveReceivedCommand(DescribeModelPackageCommand);
  });

  test("fails when the champion is better by more than the margin, naming the check, both values and the champion's version", async () => {
    // GIVEN champion version 3 scored auc 0.86; the candidate 0.84
    storedObjects({ [EVALUATION_URL]: evaluation({ auc: 0.84 }), [CHAMPION_URL]: evaluation({ auc: 0.86 }) });
    championVersion(3);

    // WHEN
    const { answer, report } = await withMargin(0.01);

    // THEN
    const detail = "auc 0.84 is worse than champion version 3's 0.86 by more than the margin 0.01 (needs >= 0.85)";
    expect(report.checks[1]).toEqual({ check: 'champion auc (margin 0.01)', metric: 'auc', value: 0.84, threshold: 0.85, passed: false, detail });
    expect(report.champion).toEqual({ modelPackageArn: CHAMPION_ARN, version: 3, value: 0.86 });
    expect(answer[REVIEW_OUTPUT.PASSED]).toBe(false);
    expect(answer[REVIEW_OUTPUT.FAILURE_MESSAGE]).toBe(`The model is not registered: 1 of 2 review checks failed: ${detail}.`);
    expect(answer[REVIEW_OUTPUT.SUMMARY]).toBe(
      'failed: auc 0.84 at least 0.75 / FAILED auc 0.84 is worse than champion version 3: 0.86 by more than the margin 0.01 needs at least 0.85',
    );
    expect(sagemaker).toHaveReceivedCommandWith(DescribeModelPackageCommand, { ModelPackageName: CHAMPION_ARN });
  });

  test('for a metric better lower, fails a candidate above the champion plus the margin', async () => {
    // GIVEN champion rmse 4.0, candidate 4.5, margin 0.2
    storedObjects({ [EVALUATION_URL]: evaluation({ rmse: 4.5 }, 'regression'), [CHAMPION_URL]: evaluation({ rmse: 4 }, 'regression') });
    championVersion(7);

    // WHEN
    const { report } = await withMargin(0.2, 'regression', [{ metric: 'rmse', comparison: '<=', threshold: 5 }]);

    // THEN
    expect(report.checks[1]).toMatchObject({
      check: 'champion rmse (margin 0.2)',
      passed: false,
      threshold: 4.2,
      detail: "rmse 4.5 is worse than champion version 7's 4 by more than the margin 0.2 (needs <= 4.2)",
    });
  });

  test('passes a candidate worse than the champion by no more than the margin', async () => {
    // GIVEN
    storedObjects({ [EVALUATION_URL]: evaluation({ auc: 0.851 }), [CHAMPION_URL]: evaluation({ auc: 0.86 }) });
    championVersion(3);

    // WHEN
    const { answer, report } = await withMargin(0.01);

    // THEN
    expect(answer[REVIEW_OUTPUT.PASSED]).toBe(true);
    expect(report.checks[1]).toMatchObject({ passed: true, value: 0.851, detail: "auc 0.851 is within 0.01 of champion version 3's 0.86 or better" });
    expect(report.champion).toEqual({ modelPackageArn: CHAMPION_ARN, version: 3, value: 0.86 });
  });

  test('does not compare with a champion whose report lacks the metric, or that registered no report', async () => {
    // GIVEN the champion's report has no auc
    storedObjects({ [EVALUATION_URL]: evaluation({ auc: 0.8 }), [CHAMPION_URL]: evaluation({ accuracy: 0.9 }) });
    championVersion(3);

    // WHEN
    const lacking = await withMargin(0.01);

    // THEN
    expect(lacking.answer[REVIEW_OUTPUT.PASSED]).toBe(true);
    expect(lacking.report.checks[1]).toMatchObject({ passed: true, threshold: null, detail: `champion version 3 records no auc (${CHAMPION_URL}): not compared` });
    expect(lacking.report.champion).toEqual({ modelPackageArn: CHAMPION_ARN, version: 3, value: null });

    // WHEN the champion registered no ModelQuality statistics
    sagemaker.reset();
    championVersion(2, null);
    const unreported = await withMargin(0.01);

    // THEN
    expect(unreported.report.checks[1]).toMatchObject({ passed: true, detail: 'champion version 2 records no auc (no ModelQuality statistics): not compared' });
  });

  test("fails when the champion's report cannot be read", async () => {
    // GIVEN the champion's report is gone
    storedObjects({ [EVALUATION_URL]: evaluation({ auc: 0.84 }) });
    championVersion(3);

    // WHEN / THEN
    await expect(withMargin(0.01)).rejects.toThrow(NoSuchKey);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });
});

describe('reviewModel: what it writes and answers', () => {
  test('keeps the summary to a CustomerMetadataValue, cut at a check boundary, however many checks fail', async () => {
    // GIVEN nine failing checks, whose details together are far beyond 256 characters
    const names = ['auc', 'accuracy', 'precision', 'recall', 'f0_5', 'f1', 'f2', 'true_positive_rate', 'true_negative_rate'];
    storedObjects({ [EVALUATION_URL]: evaluation(Object.fromEntries(names.map((name) => [name, 0.123456]))) });

    // WHEN
    const { answer } = await review({ checks: names.map((metric) => ({ metric, comparison: '>=' as const, threshold: 0.9 })) }, { [REVIEW_REQUEST.FIRST_CHECK_THRESHOLD]: '' });

    // THEN
    const summary = answer[REVIEW_OUTPUT.SUMMARY];
    expect(summary.length).toBeLessThanOrEqual(256);
    expect(fits(summary, SAGEMAKER_LIMITS.CUSTOMER_METADATA_VALUE)).toBe(true);
    expect(summary).toMatch(/^failed: FAILED auc 0\.1235 below 0\.9 needs at least 0\.9 \/ .* \/ \+\d more in review\.json$/);
    // ... while the failure message names every check.
    for (const name of names) expect(answer[REVIEW_OUTPUT.FAILURE_MESSAGE]).toContain(`${name} 0.1235 < 0.9`);
  });

  test.each([
    ['a pass', { auc: 0.84 }, []],
    ['a failure', { auc: 0.6 }, [{ metric: 'DPL', comparison: '<=' as const, threshold: 0.2 }]],
  ])('writes every summary in the characters CreateModelPackage takes for metadata: %s', async (_, metrics, more) => {
    // GIVEN
    storedObjects({ [EVALUATION_URL]: evaluation(metrics), [CHAMPION_URL]: evaluation({ auc: 0.7 }), [BIAS_URL]: analysis({ age: { '(60, 95]': { DPL: 0.3 } } }) });
    championVersion(3);

    // WHEN
    const { answer } = await review(
      { championMargin: 0.01, checks: [{ metric: 'auc', comparison: '>=', threshold: 0.5 }, ...more] },
      { [REVIEW_REQUEST.BIAS_REPORT_URL]: BIAS_URL },
    );

    // THEN
    expect(fits(answer[REVIEW_OUTPUT.SUMMARY], SAGEMAKER_LIMITS.CUSTOMER_METADATA_VALUE)).toBe(true);
    expect(fits(answer[REVIEW_OUTPUT.REPORT_URL], SAGEMAKER_LIMITS.CUSTOMER_METADATA_VALUE)).toBe(true);
  });

  test('writes review.json and model-card.json beside the run, and answers the card it wrote', async () => {
    // GIVEN
    storedObjects({
      [EVALUATION_URL]: evaluation({ auc: 0.84, f1: 0.71 }),
      [BIAS_URL]: analysis({ age: { '(60, 95]': { CI: -0.3, DPL: 0.1 } } }),
      [CHAMPION_URL]: evaluation({ auc: 0.83 }),
    });
    championVersion(3);

    // WHEN
    const { answer, report } = await review(
      { championMargin: 0.01, checks: [{ metric: 'auc', comparison: '>=', threshold: 0.75 }, { metric: 'DPL', comparison: '<=', threshold: 0.2 }] },
      { [REVIEW_REQUEST.BIAS_REPORT_URL]: BIAS_URL, [REVIEW_REQUEST.REVIEW_OUTPUT_URL]: `${REVIEW_URL}/` },
    );

    // THEN both files land in the review folder (a trailing slash is not doubled), as JSON
    expect(s3.commandCalls(PutObjectCommand).map((call) => [call.args[0].input.Bucket, call.args[0].input.Key, call.args[0].input.ContentType])).toEqual([
      [BUCKET, 'review/exec1/review.json', 'application/json'],
      [BUCKET, 'review/exec1/model-card.json', 'application/json'],
    ]);
    expect(written('review/exec1/review.json')).toEqual(report);
    const card = written('review/exec1/model-card.json');
    expect(JSON.parse(answer[REVIEW_OUTPUT.MODEL_CARD])).toEqual(card);

    // ... the card in the model package card schema: no model_package_details, and an overview of creator and artifact only
    // (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelPackageModelCard.html)
    const sections = ['model_overview', 'intended_uses', 'business_details', 'training_details', 'evaluation_details', 'additional_information'];
    expect(Object.keys(card).filter((key) => !sections.includes(key))).toEqual([]);
    expect(Object.keys(card.model_overview).sort()).toEqual(['model_artifact', 'model_creator']);
    expect(card.model_overview).toEqual({
      model_creator: 'cdk-mlops pipeline execution exec1',
      model_artifact: [`s3://${BUCKET}/models/exec1/pipelines-exec1-train/output/model.tar.gz`],
    });
    expect(card.intended_uses).toEqual({ intended_uses: 'Ranks customers by churn risk for retention offers.', risk_rating: 'Medium' });
    expect(card.training_details).toEqual({ training_job_details: { training_datasets: ['s3://churn-data/raw/'] } });
    expect(card.evaluation_details).toEqual([
      {
        name: 'Test split',
        evaluation_observation: 'Evaluated on the held-out test split; the review gate passed.',
        datasets: [EVALUATION_URL],
        metric_groups: [
          {
            name: 'binary_classification_metrics',
            metric_data: [
              { name: 'auc', type: 'number', value: 0.84 },
              { name: 'f1', type: 'number', value: 0.71 },
            ],
          },
          {
            name: 'pre_training_bias_metrics',
            metric_data: [
              { name: 'max |CI|', type: 'number', value: 0.3 },
              { name: 'max |DPL|', type: 'number', value: 0.1 },
            ],
          },
          {
            name: 'review_gate',
            metric_data: report.checks.map((check) => ({ name: check.check, type: 'boolean', value: check.passed, notes: check.detail })),
          },
        ],
      },
    ]);
    expect(card.additional_information).toEqual({ custom_details: { review_result: 'passed', trigger_reason: 'drift', champion_model_package: CHAMPION_ARN } });
    expect(answer[REVIEW_OUTPUT.MODEL_CARD].length).toBeLessThanOrEqual(100_000);
  });

  test('records a failed review on the card too', async () => {
    // GIVEN
    storedObjects({ [EVALUATION_URL]: evaluation({ auc: 0.6 }) });

    // WHEN
    await review();

    // THEN
    const card = written('review/exec1/model-card.json');
    expect(card.evaluation_details[0].evaluation_observation).toBe('Evaluated on the held-out test split; the review gate failed.');
    expect(card.additional_information.custom_details).toEqual({ review_result: 'failed', trigger_reason: 'drift' });
    expect(written('review/exec1/review.json')).toMatchObject({ passed: false });
  });
});

describe('reviewModel: refusals (the step fails)', () => {
  test.each<[string, Record<string, string>, Record<string, unknown>, RegExp]>([
    ['the evaluation report is not JSON', { [EVALUATION_URL]: '{"binary_classification_metrics": ' }, {}, /^the evaluation report s3:\/\/churn-artifacts\/evaluation\/exec1\/evaluation\.json is not JSON: "\{\\"binary_classification_metrics\\": "$/],
    [
      'the evaluation report has no section for the problem type',
      { [EVALUATION_URL]: evaluation({ rmse: 4 }, 'regression') },
      {},
      /has no binary_classification_metrics \(it has regression_metrics\): the evaluation must write the binary metrics$/,
    ],
    [
      'the bias report is not a Clarify analysis',
      { [EVALUATION_URL]: evaluation({ auc: 0.84 }), [BIAS_URL]: JSON.stringify({ post_training_bias_metrics: {} }) },
      { [REVIEW_REQUEST.BIAS_REPORT_URL]: BIAS_URL },
      /^s3:\/\/churn-artifacts\/bias\/exec1\/analysis\.json has no pre_training_bias_metrics\.facets: not a Clarify pre-training bias analysis$/,
    ],
    ['the event has no evaluation report URL', {}, { [REVIEW_REQUEST.EVALUATION_REPORT_URL]: undefined }, /^the Review step's event: EvaluationReportUrl is undefined: an s3:\/\/bucket\/key URL$/],
    [
      'the event has a threshold that is no number and an output folder that is no URL',
      {},
      { [REVIEW_REQUEST.FIRST_CHECK_THRESHOLD]: 'high', [REVIEW_REQUEST.REVIEW_OUTPUT_URL]: 'review/exec1' },
      /^the Review step's event: FirstCheckThreshold is "high": a finite number; ReviewOutputUrl is "review\/exec1": an s3:\/\/bucket\/key URL$/,
    ],
  ])('throws when %s, and writes nothing', async (_, objects, extra, message) => {
    // GIVEN
    storedObjects(objects);

    // WHEN / THEN
    await expect(review({}, extra)).rejects.toThrow(message);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  test('throws when the evaluation report is missing', async () => {
    storedObjects({});
    await expect(review()).rejects.toThrow(NoSuchKey);
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: BUCKET, Key: 'evaluation/exec1/evaluation.json' });
  });
});

describe('writeBiasAnalysisConfig (the BiasConfig step)', () => {
  const ANALYSIS_CONFIG = { dataset_type: 'text/csv', label: 'churn', facet: [{ name_or_index: 'age', value_or_threshold: 60 }] };
  const configRequest = (outputUrl: unknown) => ({ [BIAS_CONFIG_REQUEST.ACTION]: BIAS_CONFIG_REQUEST.ACTION_VALUE, [BIAS_CONFIG_REQUEST.OUTPUT_URL]: outputUrl });

  test('writes the configuration as analysis_config.json, the one name Clarify reads, and answers the folder', async () => {
    // WHEN
    const answer = await writeBiasAnalysisConfig(clients.s3, { ...settings(), biasAnalysisConfig: ANALYSIS_CONFIG }, configRequest(`s3://${BUCKET}/bias-config/exec1/`));

    // THEN
    expect(answer).toEqual({ ConfigUrl: `s3://${BUCKET}/bias-config/exec1/` });
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 1);
    expect(written('bias-config/exec1/analysis_config.json')).toEqual(ANALYSIS_CONFIG);
  });

  test.each<[string, ReviewSettings, unknown, string]>([
    ['the function has no configuration', settings(), `s3://${BUCKET}/bias-config/exec1`, 'the BiasConfig step ran, but the function has no bias analysis configuration (BIAS_ANALYSIS_CONFIG)'],
    ['the output is no S3 URL', { ...settings(), biasAnalysisConfig: { label: 'churn' } }, 'bias-config/exec1', 'OutputUrl is "bias-config/exec1": an s3://bucket/prefix URL'],
  ])('throws when %s, and writes nothing', async (_, withSettings, outputUrl, message) => {
    await expect(writeBiasAnalysisConfig(clients.s3, withSettings, configRequest(outputUrl))).rejects.toThrow(message);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });
});

describe('readReviewSettings', () => {
  const POLICY: ReviewPolicy = settings({ championMargin: 0.01 }).policy;
  const ENV = { [REVIEW_ENV.MODEL_PACKAGE_GROUP]: GROUP, [REVIEW_ENV.ARTIFACTS_BUCKET]: BUCKET, [REVIEW_ENV.POLICY]: JSON.stringify(POLICY) };

  test('reads the group, the bucket and the policy the construct sets', () => {
    expect(readReviewSettings(ENV)).toEqual({ modelPackageGroupName: GROUP, artifactsBucket: BUCKET, policy: POLICY });
  });

  const policyWith = (change: Record<string, unknown>) => JSON.stringify({ ...POLICY, ...change });
  test.each<[string, Record<string, string | undefined>, RegExp]>([
    ['the group is missing', { [REVIEW_ENV.MODEL_PACKAGE_GROUP]: undefined }, /MODEL_PACKAGE_GROUP is "": a model package group name/],
    ['the bucket is no bucket name', { [REVIEW_ENV.ARTIFACTS_BUCKET]: 'Churn_Artifacts' }, /ARTIFACTS_BUCKET is "Churn_Artifacts": a bucket name/],
    ['the policy is not JSON', { [REVIEW_ENV.POLICY]: '{checks:' }, /REVIEW_POLICY is not JSON: "\{checks:"/],
    ['the policy is not an object', { [REVIEW_ENV.POLICY]: 'null' }, /REVIEW_POLICY is not a JSON object/],
    ['the problem type is unknown', { [REVIEW_ENV.POLICY]: policyWith({ problemType: 'ranking' }) }, /REVIEW_POLICY\.problemType is "ranking": one of binary, multiclass, regression/],
    ['the checks are not a list', { [REVIEW_ENV.POLICY]: policyWith({ checks: { auc: 0.7 } }) }, /REVIEW_POLICY\.checks is not a list/],
    ['a check names a metric of another problem type', { [REVIEW_ENV.POLICY]: policyWith({ checks: [{ metric: 'rmse', comparison: '<=', threshold: 5 }] }) }, /REVIEW_POLICY\.checks\[0\]\.metric: expected a binary metric \(auc, /],
    ['a check leaves its comparison out', { [REVIEW_ENV.POLICY]: policyWith({ checks: [{ metric: 'auc', threshold: 0.7 }] }) }, /REVIEW_POLICY\.checks: every check names its comparison/],
    ['the margin is negative', { [REVIEW_ENV.POLICY]: policyWith({ championMargin: -0.1 }) }, /REVIEW_POLICY\.championMargin is -0\.1: a number of at least 0, or absent/],
    ['the model card has an unknown risk rating', { [REVIEW_ENV.POLICY]: policyWith({ modelCard: { intendedUse: '', riskRating: 'Severe' } }) }, /REVIEW_POLICY\.modelCard is \{"intendedUse":"","riskRating":"Severe"\}: \{ "intendedUse": string, "riskRating": High\|Medium\|Low\|Unknown \}/],
  ])('fails when %s, naming the variable', (_, change, message) => {
    expect(() => readReviewSettings({ ...ENV, ...change })).toThrow(message);
    expect(() => readReviewSettings({ ...ENV, ...change })).toThrow(/^review gate settings: /);
  });

  test('reads the bias analysis configuration when set, and names it when it is not JSON', () => {
    expect(readReviewSettings({ ...ENV, [REVIEW_ENV.BIAS_ANALYSIS_CONFIG]: '{"label":"churn"}' }).biasAnalysisConfig).toEqual({ label: 'churn' });
    expect(readReviewSettings(ENV)).not.toHaveProperty('biasAnalysisConfig');
    expect(() => readReviewSettings({ ...ENV, [REVIEW_ENV.BIAS_ANALYSIS_CONFIG]: '{label:' })).toThrow('review gate settings: BIAS_ANALYSIS_CONFIG is not JSON: "{label:"');
  });

  test('fails listing every bad variable at once', () => {
    expect(() => readReviewSettings({ [REVIEW_ENV.POLICY]: policyWith({ championMargin: 'lots' }) })).toThrow(
      'review gate settings: MODEL_PACKAGE_GROUP is "": a model package group name; ARTIFACTS_BUCKET is "": a bucket name; REVIEW_POLICY.championMargin is "lots": a number of at least 0, or absent',
    );
  });
});
