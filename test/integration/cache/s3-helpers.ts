import { randomUUID } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type MultipartUpload,
  S3Client,
} from "@aws-sdk/client-s3";
import { inject } from "vitest";

/** The local Swift's s3api (same proxy as the Swift API): tempauth user test:tester. */
export function swiftS3Client(endpoint = inject("swiftProxyUrl")): S3Client {
  return new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "test:tester", secretAccessKey: "testing" },
    // Fail fast when a test points the client at a dead port.
    maxAttempts: 1,
  });
}

export async function createTestBucket(client: S3Client, prefix: string): Promise<string> {
  const bucket = `${prefix}-${randomUUID().slice(0, 8)}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

export async function listUploads(client: S3Client, bucket: string): Promise<MultipartUpload[]> {
  const out = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return out.Uploads ?? [];
}

export async function listKeys(client: S3Client, bucket: string, prefix = ""): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

/** Deletes the objects under `prefix` (all of them when empty). */
export async function emptyPrefix(client: S3Client, bucket: string, prefix = ""): Promise<void> {
  for (const key of await listKeys(client, bucket, prefix)) {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }
}

export async function deleteBucket(client: S3Client, bucket: string): Promise<void> {
  for (const u of await listUploads(client, bucket)) {
    await client.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }),
    );
  }
  await emptyPrefix(client, bucket);
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}
