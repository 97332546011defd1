import { sliceStream, verifyForClient } from "../cache/verify.ts";
import {
  type ArtifactAnswer,
  type ArtifactRequest,
  type ArtifactServer,
  headersFor,
  unsatisfiable,
} from "./answer.ts";
import { rangeApplies } from "./conditional.ts";
import { openOrigin } from "./origin.ts";
import { type RangeSpec, resolveRange } from "./range.ts";

/** Streams from the origin without writing (verified when whole; ranges cut from it). */
export async function fromOrigin(
  server: ArtifactServer,
  req: ArtifactRequest,
  spec: RangeSpec,
  why: string,
): Promise<ArtifactAnswer> {
  const origin = await openOrigin(req.image, server.origin, req.now, req.signal);
  const size = req.image.size ?? origin.size;
  const lastModified = new Date(req.now * 1000);
  const expected = {
    ...(size === undefined ? {} : { size }),
    ...(req.image.sha256 === undefined ? {} : { sha256: req.image.sha256 }),
  };
  if (req.method === "HEAD") {
    origin.body.cancel("HEAD").catch(() => {});
    const headers = headersFor(req, size ?? 0, lastModified);
    if (size === undefined) delete headers["Content-Length"];
    return { status: 200, headers, body: null, source: "origin", bytes: 0, note: why };
  }
  if (size === undefined) {
    // Neither the record nor the origin knows the length: the one answer without one.
    const headers = headersFor(req, 0, lastModified);
    delete headers["Content-Length"];
    return {
      status: 200,
      headers,
      body: verifyForClient(origin.body, expected),
      source: "origin",
      bytes: 0,
      note: why,
    };
  }
  const resolved = rangeApplies(req.headers.ifRange, { etag: req.etag })
    ? resolveRange(spec, size)
    : ({ kind: "whole" } as const);
  if (resolved.kind === "unsatisfiable") {
    origin.body.cancel("unsatisfiable range").catch(() => {});
    return unsatisfiable(size);
  }
  if (resolved.kind === "whole") {
    return {
      status: 200,
      headers: headersFor(req, size, lastModified),
      body: verifyForClient(origin.body, expected),
      source: "origin",
      bytes: size,
      note: why,
    };
  }
  const { start, end } = resolved.range;
  return {
    status: 206,
    headers: {
      ...headersFor(req, end - start + 1, lastModified),
      "Content-Range": `bytes ${start}-${end}/${size}`,
    },
    body: sliceStream(origin.body, start, end),
    source: "origin",
    bytes: end - start + 1,
    note: why,
  };
}
