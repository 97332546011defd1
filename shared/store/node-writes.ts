import type { Condition } from "dynamodb-toolbox/entity/actions/parseCondition";
import { DeleteTransaction } from "dynamodb-toolbox/entity/actions/transactDelete";
import { PutTransaction } from "dynamodb-toolbox/entity/actions/transactPut";
import { imageIdsOf, type Node } from "../model/index.ts";
import type { NodeBeforeWrite } from "./before-write-reads.ts";
import { bootSnapshot } from "./claim-snapshot-reads.ts";
import type { StoreContext } from "./context.ts";
import { macKey } from "./entities/identity-claim.ts";
import type { NodeEntity } from "./entities/node.ts";
import { VersionMismatchError } from "./errors.ts";
import {
  type Identity,
  identityKey,
  type Plan,
  runNodeTransaction,
  type Skips,
  type Step,
  type TransactItem,
  toItem,
} from "./node-transaction.ts";
import { withProvisionFields } from "./provision-fields.ts";
import { nodeForWrite, nodeKey } from "./records.ts";
import type { NodeWriteOptions, WriteOptions, WriteResult } from "./types.ts";
import { imageBump, usageDelete, usagePut } from "./usage.ts";

/**
 * Node writes keep two invariants: a node item lists exactly the MACs and UUID whose claims point
 * at it, and the images it refers to hold its `USEDBY#` items. Each write is one transaction
 * (node + claims + usage) guarded by the node's `version`, so two racing writers cannot both act
 * on the same previous version: the loser re-reads and tries again, and can never leave a claim
 * orphaned or take one another node holds.
 */

export function identitiesOf(
  node: { macs: string[]; uuid?: string | undefined } | undefined,
): Identity[] {
  if (node === undefined) return [];
  const ids: Identity[] = node.macs.map((value) => ({ kind: "mac", value }));
  if (node.uuid !== undefined) ids.push({ kind: "uuid", value: node.uuid });
  return ids;
}

function claimPut(ctx: StoreContext, nodeId: string, id: Identity, node?: Node): TransactItem {
  // Free, or already ours: writing it again is idempotent and repairs a lost claim.
  if (id.kind === "mac") {
    const mac = macKey(id.value);
    return toItem(
      ctx.macClaim
        .build(PutTransaction)
        // The node's record rides along, in step with the node item (the same transaction).
        .item({
          mac,
          nodeId,
          ...(node === undefined ? {} : { node: JSON.stringify(bootSnapshot(node)) }),
        })
        .options({
          condition: {
            or: [
              { attr: "mac", exists: false },
              { attr: "nodeId", eq: nodeId },
            ],
          },
        }),
    );
  }
  return toItem(
    ctx.uuidClaim
      .build(PutTransaction)
      .item({ uuid: id.value, nodeId })
      .options({
        condition: {
          or: [
            { attr: "uuid", exists: false },
            { attr: "nodeId", eq: nodeId },
          ],
        },
      }),
  );
}

function claimRelease(ctx: StoreContext, nodeId: string, id: Identity): TransactItem {
  // Only ever delete our own claim: a claim another node holds is theirs to keep.
  const condition = { attr: "nodeId", eq: nodeId } as const;
  return toItem(
    id.kind === "mac"
      ? ctx.macClaim
          .build(DeleteTransaction)
          .key({ mac: macKey(id.value) })
          .options({ condition })
      : ctx.uuidClaim.build(DeleteTransaction).key({ uuid: id.value }).options({ condition }),
  );
}

/** The node item is still the version we read. */
function unchanged(current: NodeBeforeWrite): Condition<NodeEntity> {
  return current.version === undefined
    ? {
        and: [
          { attr: "id", exists: true },
          { attr: "version", exists: false },
        ],
      }
    : { attr: "version", eq: current.version };
}

/** If-Match: the version read must be the one the caller expects (0: absent or unversioned). */
export function checkExpected(
  key: string,
  expected: number | undefined,
  current: { version: number | undefined } | undefined,
): void {
  if (expected === undefined) return;
  const actual = current === undefined ? undefined : (current.version ?? 0);
  if ((actual ?? 0) !== expected) throw new VersionMismatchError(key, expected, actual);
}

/**
 * The transaction that writes `input` over `current` (node, claims, releases, usage, image
 * bumps), with what each item does. putNode runs it alone; bulk writes (node-bulk.ts) run
 * several nodes' plans as one transaction.
 */
export function nodeWritePlan(
  ctx: StoreContext,
  input: Node,
  current: NodeBeforeWrite | undefined,
  skips: Skips,
  expectedVersion: number | undefined,
): Plan<WriteResult> {
  checkExpected(nodeKey(input.id), expectedVersion, current);
  // What the store keeps (state_id, last report, inventory) survives any write of the record.
  const node = nodeForWrite(withProvisionFields(input, current?.provision));
  const wanted = identitiesOf(node);
  const keep = new Set(wanted.map(identityKey));
  const released = identitiesOf(current).filter(
    (old) => !keep.has(identityKey(old)) && !skips.releases.has(identityKey(old)),
  );
  const images = imageIdsOf(node);
  const before = new Set(current?.images ?? []);
  const started = images.filter((i) => !before.has(i) && !skips.images.has(i));
  const dropped = [...before].filter((i) => !images.includes(i));
  const version = (current?.version ?? 0) + 1;
  const nodePut = ctx.node
    .build(PutTransaction)
    .item({ ...node, version })
    .options({
      condition: current === undefined ? { attr: "id", exists: false } : unchanged(current),
    });
  const steps: Step[] = [
    { step: "node" },
    ...wanted.map((w): Step => ({ step: "claim", id: w })),
    ...released.map((r): Step => ({ step: "release", id: r })),
    ...images.map((): Step => ({ step: "usage" })),
    ...dropped.map((): Step => ({ step: "usage" })),
    ...started.map((imageId): Step => ({ step: "image", imageId })),
  ];
  const items = [
    toItem(nodePut),
    ...wanted.map((w) => claimPut(ctx, node.id, w, node)),
    ...released.map((r) => claimRelease(ctx, node.id, r)),
    ...images.map((i) => usagePut(ctx, i, node.id)),
    ...dropped.map((i) => usageDelete(ctx, i, node.id)),
    ...started.map((i) => imageBump(ctx, i)),
  ];
  return { steps, items, result: { version, created: current === undefined } };
}

export async function putNode(
  ctx: StoreContext,
  input: Node,
  options: NodeWriteOptions = {},
): Promise<WriteResult> {
  const checked = nodeForWrite(input);
  const written = await runNodeTransaction(
    ctx,
    checked.id,
    (current, skips) => nodeWritePlan(ctx, checked, current, skips, options.expectedVersion),
    { requireImages: options.requireImages === true },
  );
  return written as WriteResult;
}

export async function deleteNode(
  ctx: StoreContext,
  id: string,
  options: WriteOptions = {},
): Promise<boolean> {
  const deleted = await runNodeTransaction(ctx, id, (current, skips) => {
    if (current === undefined) return undefined;
    checkExpected(nodeKey(id), options.expectedVersion, current);
    const released = identitiesOf(current).filter((r) => !skips.releases.has(identityKey(r)));
    return {
      steps: [
        { step: "node" },
        ...released.map((r): Step => ({ step: "release", id: r })),
        ...current.images.map((): Step => ({ step: "usage" })),
      ],
      items: [
        toItem(
          ctx.node
            .build(DeleteTransaction)
            .key({ id })
            .options({ condition: unchanged(current) }),
        ),
        ...released.map((r) => claimRelease(ctx, id, r)),
        ...current.images.map((i) => usageDelete(ctx, i, id)),
      ],
      result: true,
    };
  });
  return deleted === true;
}
