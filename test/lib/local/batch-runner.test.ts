import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalTransformError, runTransformJob } from '../../../lib/local/batch-runner';
import type { ControlPlane } from '../../../lib/local/control-plane';

/** An S3 of the given objects; what the runner uploads is recorded. */
function plane(objects: Record<string, string>) {
  const uploaded: Record<string, string> = {};
  const fake = {
    listKeys: async (uri: string) => Object.keys(objects).filter((key) => `s3://data/${key}`.startsWith(uri)),
    getText: async (uri: string) => objects[uri.replace('s3://data/', '')],
    putFile: async (location: { bucket: string; key: string }, path: string) => {
      uploaded[`s3://${location.bucket}/${location.key}`] = readFileSync(path, 'utf8');
    },
  };
  return { plane: fake as unknown as ControlPlane, uploaded };
}

const job = (overrides: Record<string, unknown> = {}) => ({
  TransformJobName: 'scorer-0123456789ab-v1',
  TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix' as const, S3Uri: 's3://data/batch/input/a.csv' } }, SplitType: 'Line' as const },
  TransformOutput: { S3OutputPath: 's3://data/batch/output/scorer-0123456789ab-v1', AssembleWith: 'Line' as const },
  MaxPayloadInMB: 6,
  BatchStrategy: 'MultiRecord' as const,
  ...overrides,
});

/** A model that answers each line with its number of cells, recording the requests. */
function model() {
  const requests: string[] = [];
  return { requests, invoke: async (body: string) => { requests.push(body); return body.split('\n').map((line) => String(line.split(',').length)).join('\n'); } };
}

test('sends the lines in one mini-batch and writes one answer per line to <file>.out under the output path', async () => {
  // GIVEN
  const { plane: fake, uploaded } = plane({ 'batch/input/a.csv': '1,2,3\n4,5\n\n6\n' });
  const { requests, invoke } = model();
  // WHEN
  const result = await runTransformJob(fake, job(), invoke, mkdtempSync(join(tmpdir(), 'batch-runner-')));
  // THEN
  expect(result).toEqual({ inputRows: 3, outputRows: 3, requests: 1, outputUris: ['s3://data/batch/output/scorer-0123456789ab-v1/a.csv.out'] });
  expect(requests).toEqual(['1,2,3\n4,5\n6']);
  expect(uploaded['s3://data/batch/output/scorer-0123456789ab-v1/a.csv.out']).toBe('3\n2\n1\n');
});

test('splits mini-batches at MaxPayloadInMB, or sends one record per request with SingleRecord', async () => {
  const line = `${'9,'.repeat(300_000)}9`;
  const { plane: fake } = plane({ 'batch/input/a.csv': [line, line, line, line].join('\n') });
  const multi = model();
  expect((await runTransformJob(fake, job({ MaxPayloadInMB: 1 }), multi.invoke, mkdtempSync(join(tmpdir(), 'batch-runner-')))).requests).toBe(4);
  const single = model();
  expect((await runTransformJob(fake, job({ BatchStrategy: 'SingleRecord' }), single.invoke, mkdtempSync(join(tmpdir(), 'batch-runner-')))).requests).toBe(4);
  const fits = model();
  expect((await runTransformJob(fake, job(), fits.invoke, mkdtempSync(join(tmpdir(), 'batch-runner-')))).requests).toBe(1);
});

test('with SplitType None sends each file whole and writes the answer as returned', async () => {
  const { plane: fake, uploaded } = plane({ 'batch/input/a.csv': '1,2\n3,4\n' });
  const result = await runTransformJob(fake, job({ TransformInput: { ...job().TransformInput, SplitType: 'None' }, TransformOutput: { ...job().TransformOutput, AssembleWith: 'None' }, BatchStrategy: undefined }), async () => 'whole', mkdtempSync(join(tmpdir(), 'batch-runner-')));
  expect(result).toMatchObject({ inputRows: 1, outputRows: 1, requests: 1 });
  expect(Object.values(uploaded)).toEqual(['whole']);
});

test('fails for a record larger than MaxPayloadInMB and for a manifest input', async () => {
  const { plane: fake } = plane({ 'batch/input/a.csv': `${'9,'.repeat(600_000)}9` });
  await expect(runTransformJob(fake, job({ MaxPayloadInMB: 1 }), model().invoke, mkdtempSync(join(tmpdir(), 'batch-runner-')))).rejects.toThrow(/exceeds MaxPayloadInMB/);
  const manifest = job({ TransformInput: { DataSource: { S3DataSource: { S3DataType: 'ManifestFile', S3Uri: 's3://data/m.json' } } } });
  await expect(runTransformJob(fake, manifest, model().invoke, mkdtempSync(join(tmpdir(), 'batch-runner-')))).rejects.toBeInstanceOf(LocalTransformError);
});
