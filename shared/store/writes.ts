import type { Condition } from "dynamodb-toolbox/entity/actions/parseCondition";
import { PutItemCommand } from "dynamodb-toolbox/entity/actions/put";
import { DeleteTransaction } from "dynamodb-toolbox/entity/actions/transactDelete";
import { PutTransaction } from "dynamodb-toolbox/entity/actions/transactPut";
import { execute } from "dynamodb-toolbox/entity/actions/transactWrite";
import type { Image, Node } from "../model/index.ts";
import { call, type StoreContext } from "./context.ts";
import { macKey } from "./entities/identity-claim.ts";
import type { NodeEntity } from "./entities/node.ts";
import {
  ConcurrentModificationError,
  IdentityConflictError,
  StoreError,
  StoreUnavailableError,
} from "./errors.ts";
import { getClaimOwner, getNodeBeforeWrite, type NodeBeforeWrite } from "./reads.ts";
import { imageForWrite, nodeForWrite, nodeKey } from "./records.ts";

/**
 * Node writes keep one invariant: a node item lists exactly the MACs and UUID whose claims point
 * at it. Each write is one transaction (node + claims) guarded by the node's `version`, so two
 * racing writers cannot both act on the same previous version: the loser re-reads and tries
 * again, and can never leave a claim orphaned or take one another node holds.
 */

/** A lost race (version moved, or TransactionConflict) is retried this many times in total. */
const MAX_ATTEMPTS = 4;

type Identity = { kind: "mac" | "uuid"; value: string };

/** What each transaction item did, by index, to read TransactionCanceledException's reasons. */
type Step = { step: "node" } | { step: "claim"; id: Identity } | { step: "release"; id: Identity };

interface CancellationReason {
  Code?: string;
}

function cancellationReasons(error: unknown): CancellationReason[] | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { name?: string; CancellationReasons?: CancellationReason[] };
  return e.name === "TransactionCanceledException" ? (e.CancellationReasons ?? []) : undefined;
}

function identitiesOf(node: { macs: string[]; uuid?: string | undefined } | undefined): Identity[] {
  if (node === undefined) return [];
  const ids: Identity[] = node.macs.map((value) => ({ kind: "mac", value }));
  if (node.uuid !== undefined) ids.push({ kind: "uuid", value: node.uuid });
  return ids;
}

const identityKey = (id: Identity) => `${id.kind}:${id.value}`;

function claimPut(ctx: StoreContext, nodeId: string, id: Identity) {
  // Free, or already ours: writing it again is idempotent and repairs a lost claim.
  if (id.kind === "mac") {
    const mac = macKey(id.value);
    return ctx.macClaim
      .build(PutTransaction)
      .item({ mac, nodeId })
      .options({
        condition: {
          or: [
            { attr: "mac", exists: false },
            { attr: "nodeId", eq: nodeId },
          ],
        },
      });
  }
  return ctx.uuidClaim
    .build(PutTransaction)
    .item({ uuid: id.value, nodeId })
    .options({
      condition: {
        or: [
          { attr: "uuid", exists: false },
          { attr: "nodeId", eq: nodeId },
        ],
      },
    });
}

function claimRelease(ctx: StoreContext, nodeId: string, id: Identity) {
  // Only ever delete our own claim: a claim another node holds is theirs to keep.
  const condition = { attr: "nodeId", eq: nodeId } as const;
  return id.kind === "mac"
    ? ctx.macClaim
        .build(DeleteTransaction)
        .key({ mac: macKey(id.value) })
        .options({ condition })
    : ctx.uuidClaim.build(DeleteTransaction).key({ uuid: id.value }).options({ condition });
}

type Transaction =
  | ReturnType<typeof claimPut>
  | ReturnType<typeof claimRelease>
  | PutTransaction<StoreContext["node"]>
  | DeleteTransaction<StoreContext["node"]>;

/**
 * Runs a node transaction built from the current version, retrying lost races. `build` returns
 * the transaction items and, in parallel, what each one does. A release whose condition fails
 * while the node's version condition held (the claim is gone, or another node holds it: only a
 * manual edit gets there) is dropped on the next attempt at that same version rather than
 * blocking the write forever. When the version moved, failed releases prove nothing (the other
 * writer released them) and the skips are forgotten with the version.
 */
async function runNodeTransaction(
  ctx: StoreContext,
  id: string,
  build: (
    current: NodeBeforeWrite | undefined,
    skipRelease: Set<string>,
  ) => { steps: Step[]; transactions: Transaction[] } | undefined,
): Promise<boolean> {
  let skips = { version: undefined as number | undefined, keys: new Set<string>() };
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    if (attempt > 1) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt * Math.random()));
    const current = await getNodeBeforeWrite(ctx, id);
    if (current?.version !== skips.version) skips = { version: current?.version, keys: new Set() };
    const plan = build(current, skips.keys);
    if (plan === undefined) return false;
    try {
      await call(ctx, `TransactWriteItems ${nodeKey(id)}`, async (options) => {
        try {
          await execute(options, ...plan.transactions);
        } catch (error) {
          // Cancellations are answers, not outages: handled below, never mapped to 503.
          if (cancellationReasons(error) !== undefined) throw new Cancelled(error);
          throw error;
        }
      });
      return true;
    } catch (error) {
      if (!(error instanceof Cancelled)) throw error;
      const reasons = cancellationReasons(error.cause) ?? [];
      await explainCancellation(ctx, id, plan.steps, reasons, skips.keys);
    }
  }
  throw new ConcurrentModificationError(
    `${nodeKey(id)} kept changing during ${MAX_ATTEMPTS} attempts to write it; try again`,
  );
}

class Cancelled extends Error {
  constructor(cause: unknown) {
    super("transaction cancelled", { cause });
  }
}

/**
 * Reads TransactionCanceledException's reasons (one per item, in order). Throws
 * IdentityConflictError when a claim belongs to another node, StoreUnavailableError when DynamoDB
 * throttled an item, StoreError for anything unexpected; returns when a retry can succeed.
 */
async function explainCancellation(
  ctx: StoreContext,
  nodeId: string,
  steps: Step[],
  reasons: CancellationReason[],
  skipRelease: Set<string>,
): Promise<void> {
  const nodeStep = steps.findIndex((s) => s.step === "node");
  const versionHeld = (reasons[nodeStep]?.Code ?? "None") === "None";
  for (const [index, reason] of reasons.entries()) {
    const step = steps[index];
    const code = reason.Code ?? "None";
    if (code === "None" || step === undefined) continue;
    if (code === "TransactionConflict") continue; // another transaction touched an item: retry
    if (code === "ThrottlingError" || code === "ProvisionedThroughputExceeded") {
      throw new StoreUnavailableError(`DynamoDB throttled the write of ${nodeKey(nodeId)}`);
    }
    if (code !== "ConditionalCheckFailed") {
      throw new StoreError(`DynamoDB refused the write of ${nodeKey(nodeId)}: ${code}`);
    }
    if (step.step === "release") {
      if (versionHeld) skipRelease.add(identityKey(step.id)); // not ours: leave it alone
    } else if (step.step === "claim") {
      const owner = await getClaimOwner(ctx, step.id.kind, step.id.value, { consistent: true });
      if (owner !== undefined && owner !== nodeId) {
        throw new IdentityConflictError(step.id.kind, step.id.value, owner);
      }
      // Freed since, or ours after all: retry.
    }
    // step "node": the version moved under us; retry from a fresh read.
  }
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

export async function putNode(ctx: StoreContext, input: Node): Promise<void> {
  const node = nodeForWrite(input);
  await runNodeTransaction(ctx, node.id, (current, skipRelease) => {
    const wanted = identitiesOf(node);
    const keep = new Set(wanted.map(identityKey));
    const released = identitiesOf(current).filter(
      (old) => !keep.has(identityKey(old)) && !skipRelease.has(identityKey(old)),
    );
    const version = (current?.version ?? 0) + 1;
    const nodePut = ctx.node
      .build(PutTransaction)
      .item({ ...node, version })
      .options({
        condition: current === undefined ? { attr: "id", exists: false } : unchanged(current),
      });
    return {
      steps: [
        { step: "node" },
        ...wanted.map((w): Step => ({ step: "claim", id: w })),
        ...released.map((r): Step => ({ step: "release", id: r })),
      ],
      transactions: [
        nodePut,
        ...wanted.map((w) => claimPut(ctx, node.id, w)),
        ...released.map((r) => claimRelease(ctx, node.id, r)),
      ],
    };
  });
}

export async function deleteNode(ctx: StoreContext, id: string): Promise<boolean> {
  return runNodeTransaction(ctx, id, (current, skipRelease) => {
    if (current === undefined) return undefined;
    const released = identitiesOf(current).filter((r) => !skipRelease.has(identityKey(r)));
    return {
      steps: [{ step: "node" }, ...released.map((r): Step => ({ step: "release", id: r }))],
      transactions: [
        ctx.node
          .build(DeleteTransaction)
          .key({ id })
          .options({ condition: unchanged(current) }),
        ...released.map((r) => claimRelease(ctx, id, r)),
      ],
    };
  });
}

export async function putImage(ctx: StoreContext, input: Image): Promise<void> {
  const image = imageForWrite(input);
  await call(ctx, `PutItem IMAGE#${image.id}`, (options) =>
    ctx.image.build(PutItemCommand).item(image).send(options),
  );
}
