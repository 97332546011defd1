import { RemovalPolicy } from "aws-cdk-lib";
import { AttributeType, BillingMode, StreamViewType, Table } from "aws-cdk-lib/aws-dynamodb";
import { Construct } from "constructs";

/**
 * The one swiftboot table, mirroring what shared/store/ensure-table.ts creates for local runs:
 * `pk`/`sk` strings, on demand, TTL on `ttl`, and the `gsi1` listing index (`gsi1pk`/`gsi1sk`,
 * projection ALL). Production adds point-in-time recovery and a stream (new and old images) that
 * the cache warmer reads to pre-fill changed images.
 */
export const TABLE_KEYS = { pk: "pk", sk: "sk", ttl: "ttl" } as const;
export const LIST_INDEX = { name: "gsi1", pk: "gsi1pk", sk: "gsi1sk" } as const;

export class SwiftbootTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, "Table", {
      partitionKey: { name: TABLE_KEYS.pk, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sk, type: AttributeType.STRING },
      // On demand: boot traffic is bursty (a rack powering on) and idle most of the time.
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE_KEYS.ttl,
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      // Node records are the source of truth: never deleted with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: LIST_INDEX.name,
      partitionKey: { name: LIST_INDEX.pk, type: AttributeType.STRING },
      sortKey: { name: LIST_INDEX.sk, type: AttributeType.STRING },
    });
  }
}
