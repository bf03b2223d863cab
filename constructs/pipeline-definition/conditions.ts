import { PipelineValue, PrimitiveValue } from './expressions';

/** The comparisons a condition step can make. */
export type ConditionType = 'Equals' | 'GreaterThan' | 'GreaterThanOrEqualTo' | 'LessThan' | 'LessThanOrEqualTo';

/** A condition before rendering: its operands may still be expressions. */
export interface ConditionRequest {
  /** The comparison. */
  readonly Type: ConditionType;
  /** The left operand. */
  readonly LeftValue: PipelineValue<PrimitiveValue>;
  /** The right operand. */
  readonly RightValue: PipelineValue<PrimitiveValue>;
}

/**
 * A comparison a condition step evaluates when the pipeline runs. Operands are literals or
 * expressions: parameters, step properties or `jsonGet` values from a property file.
 */
export class Condition {
  /** `left == right`. */
  public static equals(left: PipelineValue<PrimitiveValue>, right: PipelineValue<PrimitiveValue>): Condition {
    return new Condition('Equals', left, right);
  }

  /** `left > right`. */
  public static greaterThan(left: PipelineValue<PrimitiveValue>, right: PipelineValue<PrimitiveValue>): Condition {
    return new Condition('GreaterThan', left, right);
  }

  /** `left >= right`. */
  public static greaterThanOrEqualTo(
    left: PipelineValue<PrimitiveValue>,
    right: PipelineValue<PrimitiveValue>,
  ): Condition {
    return new Condition('GreaterThanOrEqualTo', left, right);
  }

  /** `left < right`. */
  public static lessThan(left: PipelineValue<PrimitiveValue>, right: PipelineValue<PrimitiveValue>): Condition {
    return new Condition('LessThan', left, right);
  }

  /** `left <= right`. */
  public static lessThanOrEqualTo(
    left: PipelineValue<PrimitiveValue>,
    right: PipelineValue<PrimitiveValue>,
  ): Condition {
    return new Condition('LessThanOrEqualTo', left, right);
  }

  private constructor(
    /** The comparison. */
    public readonly type: ConditionType,
    /** The left operand. */
    public readonly left: PipelineValue<PrimitiveValue>,
    /** The right operand. */
    public readonly right: PipelineValue<PrimitiveValue>,
  ) {}

  /** `{Type, LeftValue, RightValue}` with operands not yet rendered. */
  public toRequest(): ConditionRequest {
    return { Type: this.type, LeftValue: this.left, RightValue: this.right };
  }
}
