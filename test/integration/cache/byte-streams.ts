import { createHash } from "node:crypto";

export const MiB = 1024 * 1024;

/** Deterministic bytes: a xorshift stream seeded by `seed`, so big payloads need no fixtures. */
export function bytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export interface SourceOptions {
  chunkSize?: number;
  /** Error the stream once this many bytes have been delivered. */
  failAt?: number;
  /** Stop delivering (never end) once this many bytes have been delivered. */
  stallAt?: number;
  /** Called with the number of bytes delivered so far on every pull. */
  onPull?: (delivered: number) => void;
}

export interface TestSource {
  stream: ReadableStream<Uint8Array>;
  /** Resolves when the stream is cancelled (by a failing write), with the reason. */
  cancelled: Promise<unknown>;
  delivered(): number;
}

/** A pull-based stream over `data`, in `chunkSize` pieces, that can fail or stall part way. */
export function source(data: Uint8Array, options: SourceOptions = {}): TestSource {
  const chunkSize = options.chunkSize ?? 64 * 1024;
  let offset = 0;
  let onCancel: (reason: unknown) => void = () => {};
  const cancelled = new Promise<unknown>((resolve) => {
    onCancel = resolve;
  });
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        options.onPull?.(offset);
        if (options.failAt !== undefined && offset >= options.failAt) {
          controller.error(new Error("origin connection reset (test)"));
          return;
        }
        if (options.stallAt !== undefined && offset >= options.stallAt) {
          // Hold the pull open until the consumer gives up on the stream.
          await cancelled;
          return;
        }
        if (offset >= data.byteLength) {
          controller.close();
          return;
        }
        let end = Math.min(offset + chunkSize, data.byteLength);
        if (options.failAt !== undefined) end = Math.min(end, Math.max(options.failAt, offset + 1));
        if (options.stallAt !== undefined)
          end = Math.min(end, Math.max(options.stallAt, offset + 1));
        controller.enqueue(data.slice(offset, end));
        offset = end;
      },
      cancel(reason) {
        onCancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, cancelled, delivered: () => offset };
}
