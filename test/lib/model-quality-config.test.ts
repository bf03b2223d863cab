import { parseStageConfig } from '../../lib/config-loader';
import { stageModelQuality } from '../../lib/model-quality-config';
import type { StageConfigInput } from '../../lib/stage-config';

const BASE: StageConfigInput = { project: 'churn', stage: 'prod', endpoint: { variant: 'instance' } };

describe('stageModelQuality', () => {
  test("takes the problem type and the first review check's metric and threshold: below it is a drop for auc", () => {
    // WHEN
    const quality = stageModelQuality(parseStageConfig({ ...BASE, review: { checks: [{ metric: 'auc', threshold: 0.8 }] } }));
    // THEN
    expect(quality).toEqual({
      problemType: 'BinaryClassification',
      metric: 'auc',
      threshold: 0.8,
      comparison: 'LessThanThreshold',
      frequency: 'daily',
      groundTruthDelayHours: 24,
      probabilityThreshold: 0.5,
    });
  });

  test('a regression model on rmse alarms above the threshold, with no probability threshold', () => {
    // WHEN
    const quality = stageModelQuality(
      parseStageConfig({
        ...BASE,
        training: { problemType: 'regression' },
        review: { checks: [{ metric: 'rmse', threshold: 6.5 }] },
        monitoring: { modelQualitySchedule: 'hourly', groundTruthDelayHours: 2 },
      }),
    );
    // THEN
    expect(quality).toEqual({ problemType: 'Regression', metric: 'rmse', threshold: 6.5, comparison: 'GreaterThanThreshold', frequency: 'hourly', groundTruthDelayHours: 2, probabilityThreshold: undefined });
  });

  test('a multiclass model with a strict check keeps its direction', () => {
    const quality = stageModelQuality(
      parseStageConfig({ ...BASE, training: { problemType: 'multiclass', numClasses: 3 }, review: { checks: [{ metric: 'weighted_f1', threshold: 0.6, comparison: '>' }] } }),
    );
    expect(quality).toMatchObject({ problemType: 'MulticlassClassification', metric: 'weighted_f1', comparison: 'LessThanThreshold' });
  });

  test('is undefined when monitoring.modelQuality is false', () => {
    expect(stageModelQuality(parseStageConfig({ ...BASE, monitoring: { modelQuality: false } }))).toBeUndefined();
  });
});
