import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { nodeSchema } from "../model/index.ts";
import { IllegalTransitionError } from "../model/transitions.ts";
import {
  ConcurrentModificationError,
  CorruptRecordError,
  IdentityConflictError,
  ImageInUseError,
  InvalidCursorError,
  InvalidRecordError,
  StoreUnavailableError,
  UnknownImageError,
  VersionMismatchError,
} from "../store/errors.ts";
import { problemResponse, toProblem, zodProblem } from "./problem.ts";
import type { AppEnv } from "./types.ts";

describe("toProblem", () => {
  it.each([
    [new StoreUnavailableError("DynamoDB did not answer"), 503, "store-unavailable"],
    [new IdentityConflictError("mac", "52:54:00:00:00:01", "other"), 409, "identity-conflict"],
    [new IllegalTransitionError("enroll", "deploy"), 409, "illegal-transition"],
    [new ImageInUseError("k", ["n1", "n2"], false), 409, "image-in-use"],
    [new UnknownImageError("n", ["k"]), 409, "unknown-image"],
    [new VersionMismatchError("NODE#n", 3, 4), 412, "precondition-failed"],
    [new ConcurrentModificationError("kept changing"), 409, "concurrent-modification"],
    [new InvalidRecordError("NODE#n", "too many"), 400, "validation"],
    [new InvalidCursorError("cursor: bad"), 400, "validation"],
    [
      new CorruptRecordError("NODE#n", "macs.0: secret-looking stored value"),
      500,
      "corrupt-record",
    ],
    [new HTTPException(400, { message: "Malformed JSON in request body" }), 400, "invalid-json"],
    [new HTTPException(415, { message: "Unsupported Media Type" }), 415, "unsupported-media-type"],
    [new TypeError("x is not a function"), 500, "internal"],
  ])("%s → %i %s", (error, status, kind) => {
    const { problem } = toProblem(error);
    expect(problem.status).toBe(status);
    expect(problem.type).toBe(`urn:swiftboot:problem:${kind}`);
    expect(problem.title.length).toBeGreaterThan(0);
    expect(problem.detail.length).toBeGreaterThan(0);
  });

  it("adds what a client needs to act: allowed actions, users, the other node, the bad field", () => {
    expect(toProblem(new IllegalTransitionError("available", "done")).problem).toMatchObject({
      state: "available",
      allowed: [
        { action: "manage", to: "manageable" },
        { action: "deploy", to: "deploying" },
      ],
    });
    expect(toProblem(new ImageInUseError("k", ["n1"], true)).problem).toMatchObject({
      nodes: ["n1"],
      more: true,
    });
    expect(
      toProblem(new IdentityConflictError("uuid", "4c4c4544-0042-3510-8052-b4c04f384d32", "b"))
        .problem,
    ).toMatchObject({
      conflict: { kind: "uuid", node: "b" },
      errors: [{ path: "uuid", message: expect.stringContaining("node b") }],
    });
    expect(toProblem(new InvalidCursorError("cursor: not ours")).problem.errors).toEqual([
      { path: "cursor", message: "not ours" },
    ]);
  });

  it("keeps stored data and internal messages out of 500s", () => {
    const corrupt = toProblem(new CorruptRecordError("NODE#n", "kernel_args: hunter2")).problem;
    expect(JSON.stringify(corrupt)).not.toContain("hunter2");
    expect(corrupt.detail).toContain("NODE#n");
    const bug = toProblem(new Error("token sbt_abc leaked in a stack")).problem;
    expect(JSON.stringify(bug)).not.toContain("sbt_abc");
  });

  it("names every bad field of a zod failure by path", () => {
    const result = nodeSchema.safeParse({ id: "bad id", name: "", macs: ["zz"], state: "x" });
    if (result.success) throw new Error("expected a failure");
    const paths = zodProblem(result.error).problem.errors?.map((e) => e.path);
    expect([...new Set(paths)]).toEqual(["id", "name", "macs.0", "state"]);
  });
});

describe("problemResponse", () => {
  it("answers application/problem+json, Retry-After on 503, the cause in the log line only", async () => {
    const app = new Hono<AppEnv>();
    const fields: Record<string, unknown> = {};
    app.use(async (c, next) => {
      c.set("logFields", fields);
      await next();
    });
    app.get("/", (c) => problemResponse(c, new StoreUnavailableError("DynamoDB is down")));
    const res = await app.request("/");
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("retry-after")).toBe("5");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 503, title: "Store unavailable" });
    expect(JSON.stringify(body)).not.toContain("DynamoDB is down");
    expect(fields).toMatchObject({
      problem: "store-unavailable",
      error: expect.stringContaining("down"),
    });
  });
});
