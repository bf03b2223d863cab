import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * The key a construct encrypts with: the one given, else the KMS key of `bucket` (its
 * `encryptionKey`, known for buckets created in the app or imported with `encryptionKey`).
 */
export function keyOrBucketKey(owner: string, key: kms.IKey | undefined, bucket: s3.IBucket, bucketProp: string): kms.IKey {
  const found = key ?? bucket.encryptionKey;
  if (found) return found;
  throw new Error(
    `${owner}: encryptionKey is not set and ${bucketProp} has no KMS key to default to: pass encryptionKey, or give the bucket its key (new s3.Bucket({ encryptionKey }) or s3.Bucket.fromBucketAttributes({ encryptionKey }))`,
  );
}
