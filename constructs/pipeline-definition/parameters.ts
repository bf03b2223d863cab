import { ExpressionReference, PrimitiveValue, Reference } from './expressions';

/** The parameter types SageMaker pipelines support. */
export type ParameterType = 'String' | 'Integer' | 'Float' | 'Boolean';

/** A parameter as it appears in the definition's `Parameters` list. */
export interface ParameterJson {
  /** The parameter's name. */
  readonly Name: string;
  /** The parameter's type. */
  readonly Type: ParameterType;
  /** The value used when an execution does not set one. */
  readonly DefaultValue?: PrimitiveValue;
}

/** Options common to every parameter type. */
export interface ParameterProps<T extends PrimitiveValue> {
  /**
   * The value used when an execution does not set one.
   *
   * @default - no default: every execution must set the parameter
   */
  readonly defaultValue?: T;
}

const PARAMETER_NAME = /^[A-Za-z0-9\-_]{1,64}$/;
const MAX_STRING_DEFAULT_LENGTH = 4096;

/** The value as written in code, a long string shortened so it does not swamp the message. */
function preview(value: PrimitiveValue): string {
  if (typeof value !== 'string') return String(value);
  const quoted = JSON.stringify(value);
  return quoted.length > 60 ? `${quoted.slice(0, 40)}…" (${value.length} characters)` : quoted;
}

/**
 * A value set when an execution starts. Use it anywhere the step arguments accept a value of its
 * type: it renders as `{"Get": "Parameters.<name>"}`.
 */
export class PipelineParameter<T extends PrimitiveValue> extends Reference<T> {
  /** A String parameter. */
  public static string(name: string, props: ParameterProps<string> = {}): PipelineParameter<string> {
    return new PipelineParameter<string>(name, 'String', props.defaultValue);
  }

  /** An Integer parameter; its default must be a whole number. */
  public static integer(name: string, props: ParameterProps<number> = {}): PipelineParameter<number> {
    return new PipelineParameter<number>(name, 'Integer', props.defaultValue);
  }

  /** A Float parameter. */
  public static float(name: string, props: ParameterProps<number> = {}): PipelineParameter<number> {
    return new PipelineParameter<number>(name, 'Float', props.defaultValue);
  }

  /** A Boolean parameter. */
  public static boolean(name: string, props: ParameterProps<boolean> = {}): PipelineParameter<boolean> {
    return new PipelineParameter<boolean>(name, 'Boolean', props.defaultValue);
  }

  /** `Parameters.<name>`. */
  public readonly path: string;

  private constructor(
    /** The parameter's name, unique in the pipeline. */
    public readonly name: string,
    /** The parameter's type. */
    public readonly type: ParameterType,
    /** The value used when an execution does not set one. */
    public readonly defaultValue: T | undefined,
  ) {
    super();
    this.path = `Parameters.${name}`;
  }

  /** The parameter, by name. */
  public references(): readonly ExpressionReference[] {
    return [{ kind: 'parameter', name: this.name }];
  }

  /** Problems with the name or default value, for `PipelineDefinition`'s validation. */
  public validate(): readonly string[] {
    const problems: string[] = [];
    if (!PARAMETER_NAME.test(this.name)) {
      problems.push(`parameter name "${this.name}" is invalid: use 1-64 letters, digits, hyphens and underscores`);
    }
    const value = this.defaultValue;
    const expected = value === undefined ? undefined : this.expectedDefault(value);
    if (value !== undefined && expected !== undefined) {
      problems.push(
        `parameter "${this.name}" is ${this.type} but its default value is ${preview(value)}: ` +
          `use ${expected}`,
      );
    }
    return problems;
  }

  /** `{Name, Type, DefaultValue}` for the definition's `Parameters` list. */
  public toParameterJson(): ParameterJson {
    return {
      Name: this.name,
      Type: this.type,
      ...(this.defaultValue !== undefined && { DefaultValue: this.defaultValue }),
    };
  }

  /** What the default should have been, when it is not a value of the parameter's type. */
  private expectedDefault(value: PrimitiveValue): string | undefined {
    switch (this.type) {
      case 'String':
        return typeof value === 'string' && value.length <= MAX_STRING_DEFAULT_LENGTH
          ? undefined
          : `a string of at most ${MAX_STRING_DEFAULT_LENGTH} characters`;
      case 'Integer':
        return Number.isInteger(value) ? undefined : 'a whole number';
      case 'Float':
        return typeof value === 'number' && Number.isFinite(value) ? undefined : 'a finite number';
      case 'Boolean':
        return typeof value === 'boolean' ? undefined : 'true or false';
    }
  }
}
