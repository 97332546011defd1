/**
 * A tee that moves at the pace of its slower branch.
 *
 * `ReadableStream.prototype.tee()` reads as fast as the faster branch pulls and queues everything
 * the slower one has not taken yet: serving a fast client while writing to a slow bucket (or the
 * reverse) would buffer most of an artifact in memory. Here the source is read only when every
 * live branch has room, so each branch holds at most `highWaterMark` bytes plus one chunk.
 *
 * A branch that stops pulling altogether (a client that keeps its connection open but reads
 * nothing) would stall the other forever; after `stallMs` it is errored with TeeStallError and
 * dropped, and the other branch carries on alone. A cancelled branch is dropped the same way;
 * the source is cancelled once no branch is left.
 */
export interface TeeOptions {
  /** Bytes each branch may queue before reading pauses. */
  highWaterMark: number;
  /** Drop a branch that leaves the other waiting this long; 0 disables. */
  stallMs?: number;
}

export class TeeStallError extends Error {
  override name = "TeeStallError";
}

interface Branch {
  controller?: ReadableStreamDefaultController<Uint8Array>;
  live: boolean;
  /** Resolves the branch's outstanding pull(): set while it wants a chunk. */
  wants?: () => void;
}

export function boundedTee(
  source: ReadableStream<Uint8Array>,
  options: TeeOptions,
): [ReadableStream<Uint8Array>, ReadableStream<Uint8Array>] {
  const reader = source.getReader();
  const branches: [Branch, Branch] = [{ live: true }, { live: true }];
  let reading = false;
  let finished = false;
  let stallTimer: ReturnType<typeof setTimeout> | undefined;

  const satisfy = (branch: Branch) => {
    const resolve = branch.wants;
    branch.wants = undefined;
    resolve?.();
  };

  const clearStall = () => {
    if (stallTimer !== undefined) clearTimeout(stallTimer);
    stallTimer = undefined;
  };

  const finish = () => {
    finished = true;
    clearStall();
  };

  const dropStalled = () => {
    stallTimer = undefined;
    if (finished || reading) return;
    const stalled = new TeeStallError(`a tee branch read nothing for ${options.stallMs} ms`);
    for (const branch of branches) {
      if (branch.live && branch.wants === undefined) {
        branch.live = false;
        branch.controller?.error(stalled);
      }
    }
    pump();
  };

  function pump(): void {
    if (reading || finished) return;
    const live = branches.filter((b) => b.live);
    if (live.length === 0) {
      finish();
      reader.cancel(new Error("every tee branch was cancelled")).catch(() => {});
      return;
    }
    const waiting = live.filter((b) => b.wants !== undefined).length;
    if (waiting < live.length) {
      if (waiting > 0 && stallTimer === undefined && (options.stallMs ?? 0) > 0) {
        stallTimer = setTimeout(dropStalled, options.stallMs);
      }
      return;
    }
    clearStall();
    reading = true;
    reader.read().then(
      (result) => {
        reading = false;
        if (finished) return;
        if (result.done) {
          finish();
          for (const b of branches) {
            if (b.live) b.controller?.close();
            satisfy(b);
          }
          reader.releaseLock();
          return;
        }
        for (const b of branches) {
          if (!b.live) continue;
          b.controller?.enqueue(result.value);
          satisfy(b);
        }
        // Cancels the source if every branch went away while this read was in flight.
        pump();
      },
      (error: unknown) => {
        reading = false;
        if (finished) return;
        finish();
        for (const b of branches) {
          if (b.live) b.controller?.error(error);
          b.live = false;
          satisfy(b);
        }
      },
    );
  }

  const makeBranch = (branch: Branch) =>
    new ReadableStream<Uint8Array>(
      {
        start(controller) {
          branch.controller = controller;
        },
        pull() {
          if (finished || !branch.live) return;
          return new Promise<void>((resolve) => {
            branch.wants = resolve;
            pump();
          });
        },
        cancel() {
          branch.live = false;
          satisfy(branch);
          pump();
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: options.highWaterMark }),
    );

  return [makeBranch(branches[0]), makeBranch(branches[1])];
}
