import botocore from '../fixtures/botocore-sagemaker-limits.json';
import {
  fits,
  hasAllowedCharacters,
  SAGEMAKER_LIMITS,
  toCustomerMetadataValue,
  truncateCodeUnits,
  withoutControlCharacters,
} from '../../lambda/shared/sagemaker-limits';

type Shape = { readonly min?: number; readonly max?: number; readonly pattern?: string };
const shapes = botocore.shapes as Record<string, Shape>;

describe('SageMaker field limits', () => {
  test.each(Object.entries(SAGEMAKER_LIMITS))('%s equals the botocore shape it names', (_, limit) => {
    // GIVEN
    const shape = shapes[limit.shape];
    // THEN
    expect(shape).toBeDefined();
    expect({ minLength: limit.minLength, maxLength: limit.maxLength }).toEqual({ minLength: shape.min, maxLength: shape.max });
    const characters = 'characters' in limit ? limit.characters : undefined;
    if (shape.pattern === undefined || shape.pattern === '.*') {
      expect(characters).toBeUndefined();
    } else {
      // botocore writes the class repeated: `[...]*`, or `([...]*)${1,256}` for the metadata value.
      expect([`${characters}*`, `(${characters}*)\${1,${shape.max}}`]).toContain(shape.pattern);
    }
  });

  test('the request members the code fills use those shapes', () => {
    expect(botocore.members).toEqual({
      'CreateModelPackageInput.ModelPackageDescription': SAGEMAKER_LIMITS.ENTITY_DESCRIPTION.shape,
      'CreateModelPackageInput.CustomerMetadataProperties': 'CustomerMetadataMap',
      'UpdateModelPackageInput.ApprovalDescription': SAGEMAKER_LIMITS.APPROVAL_DESCRIPTION.shape,
      'StartPipelineExecutionRequest.PipelineExecutionDescription': SAGEMAKER_LIMITS.PIPELINE_EXECUTION_DESCRIPTION.shape,
      'Parameter.Value': SAGEMAKER_LIMITS.PIPELINE_PARAMETER_VALUE.shape,
    });
    expect((botocore.shapes.CustomerMetadataMap as { value: { shape: string } }).value.shape).toBe(SAGEMAKER_LIMITS.CUSTOMER_METADATA_VALUE.shape);
  });

  test('every character a metadata value allows is one a model package description allows', () => {
    // The pipeline writes TriggerReason and InputDataUrl into both.
    const sample = 'new-data:raw/Köln 第二版_v1.2=3+4@x';
    expect(hasAllowedCharacters(sample, SAGEMAKER_LIMITS.CUSTOMER_METADATA_VALUE)).toBe(true);
    expect(hasAllowedCharacters(sample, SAGEMAKER_LIMITS.ENTITY_DESCRIPTION)).toBe(true);
  });
});

describe('toCustomerMetadataValue', () => {
  test.each([
    ['keeps a value that fits', 'new-data:raw/2026/03/part-0.csv', 'new-data:raw/2026/03/part-0.csv'],
    ['replaces each run of other characters by one hyphen', 'a"<>{}b\nc😀d', 'a-b-c-d'],
    ['replaces a lone surrogate', 'a\uD800b', 'a-b'],
    ['never returns an empty value', '', '-'],
  ])('%s', (_, value, expected) => {
    expect(toCustomerMetadataValue(value)).toBe(expected);
  });

  test('fits whatever it is given', () => {
    // GIVEN 1,500 characters of everything
    const hostile = Array.from({ length: 1500 }, (_, i) => String.fromCodePoint([0x22, 0x3c, 0x7b, 0x1f600, 0x0a, 0x61, 0x1d400, 0x20][i % 8])).join('');
    // WHEN
    const value = toCustomerMetadataValue(hostile);
    // THEN
    expect(fits(value, SAGEMAKER_LIMITS.CUSTOMER_METADATA_VALUE)).toBe(true);
    expect(value).toMatch(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u);
  });
});

describe('helpers', () => {
  test('truncateCodeUnits never ends inside a surrogate pair', () => {
    expect(truncateCodeUnits('ab😀', 3)).toBe('ab');
    expect(truncateCodeUnits('ab😀', 4)).toBe('ab😀');
  });

  test('withoutControlCharacters puts a space for each line break, tab and other control character', () => {
    expect(withoutControlCharacters('a\nb\r\tc\u2028d\u0085e')).toBe('a b  c d e');
  });
});
