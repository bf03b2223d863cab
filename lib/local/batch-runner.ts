/**
 * One batch transform job run on this machine, as SageMaker's batch transform runs it, against a
 * model server that honours the `/invocations` contract (ml/local/serve.py in the loop): the
 * objects under the job's S3Prefix input read from the control plane's S3, split into records on
 * newlines (SplitType Line) and sent in mini-batches of up to MaxPayloadInMB (BatchStrategy
 * MultiRecord; one record per request with SingleRecord), or each object whole (SplitType None);
 * the answers assembled one per line (AssembleWith Line) and written to
 * `<S3OutputPath>/<input file>.out`, relative to the input prefix, as SageMaker names them
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformOutput.html).
 *
 * It knows nothing of moto: the job comes as DescribeTransformJob answers it, the model as a function.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { DescribeTransformJobCommandOutput } from '@aws-sdk/client-sagemaker';
import { ControlPlane, parseS3Uri } from './control-plane';

export interface LocalTransformResult {
  /** Records sent to the model (lines with SplitType Line, objects with None). */
  readonly inputRows: number;
  /** Answers written (lines of the outputs with AssembleWith Line, objects with None). */
  readonly outputRows: number;
  readonly requests: number;
  /** The `.out` objects written. */
  readonly outputUris: readonly string[];
}

/** A job the local runner cannot run as SageMaker would; the message names the setting. */
export class LocalTransformError extends Error {
  public override readonly name = 'LocalTransformError';
}

const MB = 1024 * 1024;

/**
 * Runs `job` with `invoke` standing in for the model container (`POST /invocations` with the job's
 * ContentType); `workDir` receives the outputs before they are uploaded.
 */
export async function runTransformJob(
  plane: ControlPlane,
  job: Pick<DescribeTransformJobCommandOutput, 'TransformJobName' | 'TransformInput' | 'TransformOutput' | 'MaxPayloadInMB' | 'BatchStrategy'>,
  invoke: (body: string) => Promise<string>,
  workDir: string,
): Promise<LocalTransformResult> {
  const source = job.TransformInput?.DataSource?.S3DataSource;
  if (source?.S3DataType !== 'S3Prefix' || !source.S3Uri) {
    throw new LocalTransformError(`transform job ${job.TransformJobName}: the local runner reads S3Prefix inputs only (got ${source?.S3DataType ?? 'none'})`);
  }
  const outputPath = job.TransformOutput?.S3OutputPath;
  if (!outputPath) throw new LocalTransformError(`transform job ${job.TransformJobName} has no S3OutputPath`);
  const splitLines = job.TransformInput?.SplitType === 'Line';
  const assembleLines = job.TransformOutput?.AssembleWith === 'Line';
  // 0 means chunked encoding: no limit on a request.
  const maxBytes = (job.MaxPayloadInMB ?? 6) === 0 ? Number.POSITIVE_INFINITY : (job.MaxPayloadInMB ?? 6) * MB;
  const multiRecord = job.BatchStrategy !== 'SingleRecord';

  const { bucket, key: prefix } = parseS3Uri(source.S3Uri);
  const keys = (await plane.listKeys(source.S3Uri)).filter((key) => !key.endsWith('/'));
  let inputRows = 0;
  let outputRows = 0;
  let requests = 0;
  const outputUris: string[] = [];
  for (const key of keys) {
    const text = await plane.getText(`s3://${bucket}/${key}`);
    const records = splitLines ? text.split('\n').filter((line) => line.trim() !== '') : [text];
    const batches = splitLines && multiRecord ? miniBatches(records, maxBytes, job.TransformJobName) : records.map((record) => [record]);
    const answers: string[] = [];
    for (const batch of batches) {
      const body = batch.join('\n');
      if (Buffer.byteLength(body) > maxBytes) {
        throw new LocalTransformError(`transform job ${job.TransformJobName}: a request of ${Buffer.byteLength(body)} bytes from ${key} exceeds MaxPayloadInMB (${job.MaxPayloadInMB})`);
      }
      answers.push(await invoke(body));
      requests += 1;
    }
    inputRows += records.length;
    const lines = answers.flatMap((answer) => answer.split('\n')).filter((line) => line.trim() !== '');
    const output = assembleLines ? `${lines.join('\n')}\n` : answers.join('');
    outputRows += assembleLines ? lines.length : answers.length;
    // As downloadPrefix places objects: relative to the prefix, or by file name when the key is the prefix.
    const relative = key.slice(prefix.length).replace(/^\/+/, '') || basename(key);
    const local = join(workDir, job.TransformJobName ?? 'job', `${relative}.out`);
    mkdirSync(dirname(local), { recursive: true });
    writeFileSync(local, output);
    const { bucket: outBucket, key: outPrefix } = parseS3Uri(outputPath);
    const outKey = `${outPrefix.replace(/\/+$/, '')}/${relative}.out`;
    await plane.putFile({ bucket: outBucket, key: outKey }, local);
    outputUris.push(`s3://${outBucket}/${outKey}`);
  }
  return { inputRows, outputRows, requests, outputUris };
}

/** Consecutive records joined into requests of at most `maxBytes` (newline-separated). */
function miniBatches(records: readonly string[], maxBytes: number, jobName: string | undefined): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const record of records) {
    const bytes = Buffer.byteLength(record) + 1;
    if (bytes - 1 > maxBytes) throw new LocalTransformError(`transform job ${jobName}: a record of ${bytes - 1} bytes exceeds MaxPayloadInMB`);
    if (current.length > 0 && size + bytes > maxBytes) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(record);
    size += bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
