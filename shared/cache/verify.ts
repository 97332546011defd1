import { OriginError } from "./errors.ts";
import { createSha256 } from "./sha256.ts";

export interface Expected {
  size?: number;
  sha256?: string;
}

/**
 * The client side's size and sha256 check (the write side's is verifyWrite in streams.ts, which
 * every cache adapter's put runs; a fill runs both on the same bytes).
 *
 * Passes `source` through while checking its length and sha256, holding back the last chunk
 * until the check has passed. A client given a Content-Length therefore never receives a
 * complete body that turns out wrong: on a mismatch (or a source error) the stream errors one
 * chunk short, the server resets the connection, and iPXE reports a failed download.
 */
export function verifyForClient(
  source: ReadableStream<Uint8Array>,
  expected: Expected,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  const hash = expected.sha256 === undefined ? undefined : createSha256();
  let held: Uint8Array | undefined;
  let seen = 0;

  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, error: OriginError) => {
    reader.cancel(error).catch(() => {});
    controller.error(error);
  };

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          let result: ReadableStreamReadResult<Uint8Array>;
          try {
            result = await reader.read();
          } catch (error) {
            controller.error(error);
            return;
          }
          if (result.done) {
            if (expected.size !== undefined && seen !== expected.size) {
              fail(controller, sizeError(seen, expected.size));
              return;
            }
            const digest = hash?.digestHex();
            if (digest !== undefined && digest !== expected.sha256) {
              fail(
                controller,
                new OriginError(
                  "origin sent bytes whose sha256 differs from the image's",
                  "sha256-mismatch",
                ),
              );
              return;
            }
            if (held !== undefined) controller.enqueue(held);
            controller.close();
            return;
          }
          seen += result.value.byteLength;
          if (expected.size !== undefined && seen > expected.size) {
            fail(controller, sizeError(seen, expected.size));
            return;
          }
          hash?.update(result.value);
          const previous = held;
          held = result.value;
          if (previous !== undefined) {
            controller.enqueue(previous);
            return;
          }
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

function sizeError(seen: number, size: number): OriginError {
  return new OriginError(
    `origin sent ${seen > size ? "more than" : "only"} ${Math.min(seen, size)} bytes; the image has ${size}`,
    "size-mismatch",
  );
}

/**
 * Errors the stream with OriginError("timeout") when the source leaves a read unanswered for
 * `idleMs`. Only time spent waiting on the source counts: a slow consumer is not the origin's
 * fault (and is handled by the tee's stall limit).
 */
export function idleTimeout(
  source: ReadableStream<Uint8Array>,
  idleMs: number,
  onTimeout?: () => void,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new OriginError(`origin sent nothing for ${idleMs} ms`, "timeout")),
            idleMs,
          );
        });
        try {
          const result = await Promise.race([reader.read(), timeout]);
          if (result.done) controller.close();
          else controller.enqueue(result.value);
        } catch (error) {
          if (error instanceof OriginError && error.reason === "timeout") onTimeout?.();
          reader.cancel(error).catch(() => {});
          controller.error(
            error instanceof OriginError
              ? error
              : new OriginError("origin connection failed mid-body", "truncated", { cause: error }),
          );
        } finally {
          clearTimeout(timer);
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Bytes `start`..`end` (inclusive) of `source`; the rest of the source is cancelled. */
export function sliceStream(
  source: ReadableStream<Uint8Array>,
  start: number,
  end: number,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          const result = await reader.read();
          if (result.done) {
            controller.error(
              new OriginError("origin ended before the requested range", "truncated"),
            );
            return;
          }
          const chunk = result.value;
          const chunkStart = offset;
          offset += chunk.byteLength;
          if (offset <= start) continue;
          const from = Math.max(0, start - chunkStart);
          const to = Math.min(chunk.byteLength, end + 1 - chunkStart);
          controller.enqueue(chunk.subarray(from, to));
          if (offset > end) {
            controller.close();
            reader.cancel("range complete").catch(() => {});
          }
          return;
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
