import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';

/**
 * The JSON object at an s3://bucket/key URL; undefined when the URL is not one or there is no such
 * object (a report a run did not write). Other failures (access, not JSON) throw.
 */
export async function readS3Json(s3: S3Client, url: string): Promise<unknown> {
  const location = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!location) return undefined;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: location[1], Key: location[2] }));
    return JSON.parse((await object.Body?.transformToString()) ?? '');
  } catch (error) {
    if (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound')) return undefined;
    throw error;
  }
}

/** The same, with every failure as undefined: for listings where one unreadable report must not fail the rest. */
export async function readS3JsonSoftly(s3: S3Client, url: string): Promise<unknown> {
  try {
    return await readS3Json(s3, url);
  } catch {
    return undefined;
  }
}
