/**
 * The local control plane: SDK v3 clients pointed at the moto server the loop started, and the S3
 * transfers SageMaker performs for its jobs (an S3 prefix into a local folder, a folder back to
 * a prefix).
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CreateBucketCommand, GetObjectCommand, paginateListObjectsV2, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';

/** Where an SDK client sends its requests, and with which (dummy) credentials. */
export interface ControlPlaneEndpoint {
  readonly endpoint: string;
  readonly region: string;
}

/** An S3 location, `s3://bucket/key`. */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`"${uri}" is not an S3 URI (s3://bucket/key)`);
  return { bucket: match[1], key: match[2] };
}

export class ControlPlane {
  public readonly s3: S3Client;
  public readonly sagemaker: SageMakerClient;
  public readonly autoscaling: ApplicationAutoScalingClient;
  public readonly cloudwatch: CloudWatchClient;

  constructor(public readonly connection: ControlPlaneEndpoint) {
    // Dummy credentials: nothing here can reach a real account.
    const config = {
      endpoint: connection.endpoint,
      region: connection.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    };
    this.s3 = new S3Client({ ...config, forcePathStyle: true });
    this.sagemaker = new SageMakerClient(config);
    this.autoscaling = new ApplicationAutoScalingClient(config);
    this.cloudwatch = new CloudWatchClient(config);
  }

  public async createBucket(bucket: string): Promise<void> {
    await this.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }

  public async putFile(location: S3Location, path: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: location.bucket, Key: location.key, Body: readFileSync(path) }));
  }

  public async getText(uri: string): Promise<string> {
    const { bucket, key } = parseS3Uri(uri);
    const response = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await response.Body?.transformToString('utf8')) ?? '';
  }

  /** The keys under a prefix, in S3's (lexicographic) order. */
  public async listKeys(uri: string): Promise<string[]> {
    const { bucket, key: prefix } = parseS3Uri(uri);
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client: this.s3 }, { Bucket: bucket, Prefix: prefix })) {
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    }
    return keys;
  }

  /**
   * Copies the objects of an `S3Prefix` input into `localDir` as SageMaker does: every object
   * whose key starts with the prefix, at its key relative to the prefix (an object whose key is
   * the prefix itself lands under its own file name). `select` picks the objects of one instance
   * for `ShardedByS3Key`.
   *
   * @returns how many objects were copied
   */
  public async downloadPrefix(uri: string, localDir: string, select: (index: number) => boolean = () => true): Promise<number> {
    const { bucket, key: prefix } = parseS3Uri(uri);
    const keys = (await this.listKeys(uri)).filter((key) => !key.endsWith('/')).filter((_, index) => select(index));
    mkdirSync(localDir, { recursive: true });
    for (const key of keys) {
      const rest = key.slice(prefix.length).replace(/^\/+/, '');
      const target = join(localDir, rest === '' ? basename(key) : rest);
      const response = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, await response.Body!.transformToByteArray());
    }
    return keys.length;
  }

  /**
   * Uploads every file below `localDir` to `<uri>/<relative path>`, as an `EndOfJob` output is.
   *
   * @returns the S3 URIs written
   */
  public async uploadFolder(localDir: string, uri: string): Promise<string[]> {
    const { bucket, key: prefix } = parseS3Uri(uri);
    const written: string[] = [];
    for (const path of filesBelow(localDir)) {
      const key = `${prefix.replace(/\/+$/, '')}/${relative(localDir, path).split(sep).join('/')}`;
      await this.putFile({ bucket, key }, path);
      written.push(`s3://${bucket}/${key}`);
    }
    return written;
  }

  public destroy(): void {
    for (const client of [this.s3, this.sagemaker, this.autoscaling, this.cloudwatch]) client.destroy();
  }
}

/** Every file below a folder (none when it does not exist), in sorted order. */
export function filesBelow(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesBelow(path) : [path];
  });
}
