import { TransactWriteCommand, type TransactWriteCommandInput } from "@aws-sdk/lib-dynamodb";
import { getNodeBeforeWrite, type NodeBeforeWrite } from "./before-write-reads.ts";
import { getClaimOwner } from "./claim-reads.ts";
import { call, type StoreContext } from "./context.ts";
import {
  ConcurrentModificationError,
  IdentityConflictError,
  InvalidRecordError,
  StoreError,
  StoreUnavailableError,
  UnknownImageError,
} from "./errors.ts";
import { nodeKey } from "./records.ts";

/**
 * The transaction machinery under putNode and deleteNode (node-writes.ts): one TransactWriteItems
 * per write, built from a fresh read of the node, retried when it loses a race.
 */

/** A lost race (version moved, or TransactionConflict) is retried this many times in total. */
const MAX_ATTEMPTS = 4;
/** DynamoDB's limit on items in one transaction. */
const MAX_TRANSACTION_ITEMS = 100;

export type TransactItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];

export type Identity = { kind: "mac" | "uuid"; value: string };
export const identityKey = (id: Identity) => `${id.kind}:${id.value}`;

/** What each transaction item does, by index, to read TransactionCanceledException's reasons. */
export type Step =
  | { step: "node" }
  | { step: "claim"; id: Identity }
  | { step: "release"; id: Identity }
  /** `USEDBY#` items: unconditional, so they never cancel. */
  | { step: "usage" }
  /** The `_uv` bump of an image the node starts using: conditional on the image existing. */
  | { step: "image"; imageId: string };

export interface Plan<T> {
  steps: Step[];
  items: TransactItem[];
  /** What the write returns once committed. */
  result: T;
}

/** Items to leave out of the next attempt, learnt from a cancellation. */
export interface Skips {
  /** Claims (identityKey) that are not ours to release: gone, or held by another node. */
  releases: Set<string>;
  /** Images that do not exist: their `_uv` cannot be bumped (lenient writes only). */
  images: Set<string>;
}

/** A toolbox transaction as a plain TransactWriteItems entry. */
export function toItem(transaction: { params(): TransactItem & { ToolboxItem?: unknown } }) {
  const { ToolboxItem: _parsed, ...item } = transaction.params();
  return item as TransactItem;
}

interface CancellationReason {
  Code?: string;
}

function cancellationReasons(error: unknown): CancellationReason[] | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { name?: string; CancellationReasons?: CancellationReason[] };
  return e.name === "TransactionCanceledException" ? (e.CancellationReasons ?? []) : undefined;
}

class Cancelled extends Error {
  constructor(cause: unknown) {
    super("transaction cancelled", { cause });
  }
}

/**
 * Runs a node transaction built from the current version, retrying lost races. `build` returns
 * the items and, in parallel, what each one does (or undefined: nothing to write). A release
 * whose condition fails while the node's version condition held (the claim is gone, or another
 * node holds it: only a manual edit gets there) is dropped on the next attempt at that same
 * version rather than blocking the write forever. When the version moved, failed releases prove
 * nothing (the other writer released them) and those skips are forgotten with the version.
 */
export async function runNodeTransaction<T>(
  ctx: StoreContext,
  id: string,
  build: (current: NodeBeforeWrite | undefined, skips: Skips) => Plan<T> | undefined,
  { requireImages = false }: { requireImages?: boolean } = {},
): Promise<T | undefined> {
  let version: number | undefined;
  const skips: Skips = { releases: new Set(), images: new Set() };
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    if (attempt > 1) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt * Math.random()));
    const current = await getNodeBeforeWrite(ctx, id);
    if (current?.version !== version) {
      version = current?.version;
      skips.releases.clear();
    }
    const plan = build(current, skips);
    if (plan === undefined) return undefined;
    if (plan.items.length > MAX_TRANSACTION_ITEMS) {
      throw new InvalidRecordError(
        nodeKey(id),
        `this write changes too much at once (${plan.items.length} transaction items; DynamoDB allows ${MAX_TRANSACTION_ITEMS}): change the MACs or add the images over several writes`,
      );
    }
    try {
      await call(ctx, `TransactWriteItems ${nodeKey(id)}`, async (options) => {
        try {
          await ctx.documentClient.send(
            new TransactWriteCommand({ TransactItems: plan.items }),
            options,
          );
        } catch (error) {
          // Cancellations are answers, not outages: handled below, never mapped to 503.
          if (cancellationReasons(error) !== undefined) throw new Cancelled(error);
          throw error;
        }
      });
      return plan.result;
    } catch (error) {
      if (!(error instanceof Cancelled)) throw error;
      const reasons = cancellationReasons(error.cause) ?? [];
      await explainCancellation(ctx, id, plan.steps, reasons, skips, requireImages);
    }
  }
  throw new ConcurrentModificationError(
    `${nodeKey(id)} kept changing during ${MAX_ATTEMPTS} attempts to write it; try again`,
  );
}

/**
 * Reads TransactionCanceledException's reasons (one per item, in order). Throws
 * IdentityConflictError when a claim belongs to another node, UnknownImageError when a required
 * image is missing, StoreUnavailableError when DynamoDB throttled an item, StoreError for
 * anything unexpected; returns when a retry can succeed.
 */
async function explainCancellation(
  ctx: StoreContext,
  nodeId: string,
  steps: Step[],
  reasons: CancellationReason[],
  skips: Skips,
  requireImages: boolean,
): Promise<void> {
  const nodeStep = steps.findIndex((s) => s.step === "node");
  const versionHeld = (reasons[nodeStep]?.Code ?? "None") === "None";
  const missingImages: string[] = [];
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
      if (versionHeld) skips.releases.add(identityKey(step.id)); // not ours: leave it alone
    } else if (step.step === "claim") {
      const owner = await getClaimOwner(ctx, step.id.kind, step.id.value, { consistent: true });
      if (owner !== undefined && owner !== nodeId) {
        throw new IdentityConflictError(step.id.kind, step.id.value, owner);
      }
      // Freed since, or ours after all: retry.
    } else if (step.step === "image") {
      missingImages.push(step.imageId);
      skips.images.add(step.imageId);
    }
    // step "node": the version moved under us; retry from a fresh read.
  }
  if (requireImages && missingImages.length > 0) {
    throw new UnknownImageError(nodeId, missingImages);
  }
}
