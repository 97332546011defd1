import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { BlockPublicAccess, Bucket, BucketEncryption } from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";

/** Where the S3 cache keeps artifacts (shared/cache/keys.ts: `artifacts/<imageId>/<contentId>`). */
export const ARTIFACTS_PREFIX = "artifacts/";

export interface CacheBucketProps {
  /** Days a cached artifact is kept: keys are content-addressed, so old ones are never asked for. */
  expirationDays: number;
}

/**
 * The artifact cache: private, encrypted, TLS only. Cached objects can always be fetched again
 * from their origin, so the bucket goes with the stack (after being emptied by hand).
 */
export class CacheBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: CacheBucketProps) {
    super(scope, id);
    this.bucket = new Bucket(this, "Bucket", {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        // A fill that died mid-upload (Lambda timeout) leaves parts that cost until aborted.
        { id: "abort-incomplete-uploads", abortIncompleteMultipartUploadAfter: Duration.days(1) },
        {
          id: "expire-artifacts",
          prefix: ARTIFACTS_PREFIX,
          expiration: Duration.days(props.expirationDays),
        },
      ],
    });
  }
}
