import { Expression, ExpressionReference, JsonObject, PrimitiveValue, Reference, RenderContext } from './expressions';
import type { Step } from './steps';

/**
 * A property of a step's Describe* response (`DescribeProcessingJob`, `DescribeTrainingJob`, ...),
 * resolved once the step has run: `{"Get": "Steps.<step>.<path>"}`. Reading it makes the
 * reading step wait for this one, without an explicit `dependsOn`.
 */
export class StepProperty<T extends PrimitiveValue = string> extends Reference<T> {
  /** `Steps.<step>.<property path>`. */
  public readonly path: string;

  constructor(
    /** The step whose property is read. */
    public readonly step: Step,
    propertyPath: string,
    /** For processing output URIs: the output's name, checked against the step's outputs. */
    public readonly processingOutputName?: string,
  ) {
    super();
    this.path = `Steps.${step.name}.${propertyPath}`;
  }

  /** The step. */
  public references(): readonly ExpressionReference[] {
    return [{ kind: 'step', step: this.step, processingOutputName: this.processingOutputName }];
  }
}

/** A property file as it appears in a processing step's `PropertyFiles` list. */
export interface PropertyFileJson {
  /** The name `Std:JsonGet` uses. */
  readonly PropertyFileName: string;
  /** The processing output the file is written to. */
  readonly OutputName: string;
  /** The file's path inside that output. */
  readonly FilePath: string;
}

/** Properties of a `PropertyFile`. */
export interface PropertyFileProps {
  /** The name `jsonGet` reads the file by, unique within its processing step. */
  readonly name: string;
  /** The `OutputName` of the processing output the job writes the file to. */
  readonly outputName: string;
  /** The file's path relative to that output, such as `evaluation.json`. */
  readonly filePath: string;
}

/**
 * A JSON file a processing job writes to one of its outputs, which SageMaker indexes so later
 * steps can read values from it with `jsonGet`. List it in exactly one processing step's
 * `propertyFiles`.
 *
 * @see https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-propertyfile.html
 */
export class PropertyFile {
  /** The name `jsonGet` reads the file by. */
  public readonly name: string;
  /** The processing output the file is written to. */
  public readonly outputName: string;
  /** The file's path inside that output. */
  public readonly filePath: string;

  constructor(props: PropertyFileProps) {
    this.name = props.name;
    this.outputName = props.outputName;
    this.filePath = props.filePath;
  }

  /**
   * `{PropertyFileName, OutputName, FilePath}`: the keys SageMaker reads, as the SageMaker Python
   * SDK writes them (`sagemaker.workflow.properties.PropertyFile.expr`).
   */
  public toPropertyFileJson(): PropertyFileJson {
    return { PropertyFileName: this.name, OutputName: this.outputName, FilePath: this.filePath };
  }
}

class JsonGetExpression<T extends PrimitiveValue> extends Expression<T> {
  constructor(
    private readonly propertyFile: PropertyFile,
    private readonly jsonPath: string,
  ) {
    super();
  }

  public render(context: RenderContext): JsonObject {
    const step = context.propertyFileOwner(this.propertyFile);
    return {
      'Std:JsonGet': {
        PropertyFile: { Get: `Steps.${step}.PropertyFiles.${this.propertyFile.name}` },
        Path: this.jsonPath,
      },
    };
  }

  public references(): readonly ExpressionReference[] {
    return [{ kind: 'propertyFile', propertyFile: this.propertyFile }];
  }
}

/**
 * Reads a value from a property file once its processing step has run (`Std:JsonGet`), for
 * example the metric a condition step compares against a threshold.
 *
 * @param propertyFile the file, listed in a processing step's `propertyFiles`
 * @param jsonPath the JsonPath of the value inside the file, such as `binary_classification_metrics.auc.value`
 * @typeParam T the type of the value; inferred from where the value is used
 */
export function jsonGet<T extends PrimitiveValue = PrimitiveValue>(
  propertyFile: PropertyFile,
  jsonPath: string,
): Expression<T> {
  return new JsonGetExpression<T>(propertyFile, jsonPath);
}
