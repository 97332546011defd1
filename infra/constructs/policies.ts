import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { Effect, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IBucket } from "aws-cdk-lib/aws-s3";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { ARTIFACTS_PREFIX } from "./cache-bucket.ts";

/**
 * Least privilege, spelled out per function rather than through grant*() helpers, which grant
 * more than swiftboot uses (Scan, Query, ConditionCheckItem, DescribeTable, ...). Each list below
 * is what the function's code calls, and nothing else.
 */

const allow = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
  new PolicyStatement({
    effect: Effect.ALLOW,
    actions,
    resources,
    ...(conditions === undefined ? {} : { conditions }),
  });

/** The boot path: GetItem (claim, node) and BatchGetItem (images). */
export function tableRead(table: ITable): PolicyStatement {
  return allow(["dynamodb:GetItem", "dynamodb:BatchGetItem"], [table.tableArn]);
}

/**
 * Boot history: one PutItem per served script under the node's own partition (`NODE#<id>` /
 * `BOOT#...`, shared/store/boot-history.ts). Only NODE# partitions may be written.
 */
export function bootHistoryWrite(table: ITable): PolicyStatement {
  return allow(["dynamodb:PutItem"], [table.tableArn], {
    "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["NODE#*"] },
  });
}

/**
 * Discovered machines: one conditional UpdateItem per unknown MAC a minute, under `DISC#<mac>`
 * (shared/store/discovered.ts). Only DISC# partitions may be updated.
 */
export function discoveryWrite(table: ITable): PolicyStatement {
  return allow(["dynamodb:UpdateItem"], [table.tableArn], {
    "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["DISC#*"] },
  });
}

/**
 * Fill locks: conditional put and delete of `LOCK#<key>` items only (shared/store/fill-lock.ts);
 * the LeadingKeys condition keeps these writes away from nodes, images and claims.
 */
export function fillLockWrite(table: ITable): PolicyStatement {
  return allow(["dynamodb:PutItem", "dynamodb:DeleteItem"], [table.tableArn], {
    "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["LOCK#*"] },
  });
}

/**
 * The admin API: reads, listings on the `gsi1` index, and the transactional writes of nodes,
 * images and claims (TransactWriteItems is authorised per item: Put/Update/Delete/ConditionCheck).
 */
export function tableReadWrite(table: ITable): PolicyStatement[] {
  return [
    allow(
      [
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
      ],
      [table.tableArn],
    ),
    allow(["dynamodb:Query"], [`${table.tableArn}/index/*`]),
  ];
}

/** What Lambda's event source mapping needs to read the table's stream for the warmer. */
export function streamRead(table: ITable): PolicyStatement[] {
  const streamArn = table.tableStreamArn;
  if (streamArn === undefined) throw new Error("the table has no stream");
  return [
    allow(
      ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
      [streamArn],
    ),
    allow(["dynamodb:ListStreams"], [`${table.tableArn}/stream/*`]),
  ];
}

/**
 * Cache objects: read and write under `artifacts/` only. ListBucket (limited to that prefix) makes
 * S3 answer a HEAD for a missing object with 404 rather than 403, which is how a miss is told
 * from a refusal.
 */
export function cacheReadWrite(bucket: IBucket): PolicyStatement[] {
  return [
    allow(
      ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
      [bucket.arnForObjects(`${ARTIFACTS_PREFIX}*`)],
    ),
    allow(["s3:ListBucket"], [bucket.bucketArn], {
      StringLike: { "s3:prefix": [`${ARTIFACTS_PREFIX}*`] },
    }),
  ];
}

export function secretRead(secret: ISecret): PolicyStatement {
  return allow(["secretsmanager:GetSecretValue"], [secret.secretArn]);
}

/**
 * What a callback report writes, and nothing else (shared/http/routes/callbacks.ts): the node's
 * conditional transaction (shared/store/node-writes.ts: the node item under `NODE#`, its MAC and
 * UUID claims, re-put as they are, and the `USEDBY#` usage items it keeps in its images'
 * `IMAGE#` partitions), the report in its boot history (`NODE#`), and for a discovery report
 * the node it enrols and the `DISC#` entry it clears. Reads are the node, its claims and images.
 * No Query, no UpdateItem (a report never starts using an image, so never bumps one), no
 * deletion outside `DISC#`.
 */
export function callbackReportWrite(table: ITable): PolicyStatement[] {
  return [
    allow(["dynamodb:GetItem", "dynamodb:BatchGetItem"], [table.tableArn]),
    allow(["dynamodb:PutItem"], [table.tableArn], {
      "ForAllValues:StringLike": {
        "dynamodb:LeadingKeys": ["NODE#*", "MAC#*", "UUID#*", "IMAGE#*"],
      },
    }),
    allow(["dynamodb:DeleteItem"], [table.tableArn], {
      "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["DISC#*"] },
    }),
  ];
}
