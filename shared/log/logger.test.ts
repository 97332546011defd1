import { describe, expect, it } from "vitest";
import { createMemoryLogger } from "./logger.ts";
import { redactText } from "./redact.ts";

describe("json logger", () => {
  it("writes one JSON object per line with level, message and fields", () => {
    const { logger, records } = createMemoryLogger();
    logger.info("boot", { node: "n1", latency_ms: 3 });
    expect(records()).toEqual([
      expect.objectContaining({ level: "info", msg: "boot", node: "n1", latency_ms: 3 }),
    ]);
  });

  it("drops lines below the configured level", () => {
    const { logger, lines } = createMemoryLogger({ level: "warn" });
    logger.info("quiet");
    logger.warn("loud");
    expect(lines).toHaveLength(1);
  });

  it("scrubs secrets anywhere in the line, including nested errors", () => {
    const key = "super-secret-temp-url-key";
    const { logger, lines } = createMemoryLogger({ secrets: [key] });
    logger.error("failed", { err: new Error(`bad key ${key}`), nested: { k: key } });
    expect(lines[0]).not.toContain(key);
    expect(lines[0]).toContain("[redacted]");
  });

  it("writes errors as name and message, at the top level and one level down", () => {
    const { logger, records } = createMemoryLogger();
    const fields = { err: new TypeError("top"), ctx: { a: new RangeError("inner"), b: 1 }, n: 2 };
    logger.warn("failed", fields);
    expect(records()[0]).toMatchObject({
      err: { name: "TypeError", message: "top" },
      ctx: { a: { name: "RangeError", message: "inner" }, b: 1 },
      n: 2,
    });
    expect(fields.err).toBeInstanceOf(TypeError); // the caller's fields are not changed
  });

  it("masks URL signatures but keeps expiries", () => {
    const url = "http://s/v1/a/c/o?temp_url_sig=abcdef0123&temp_url_expires=99";
    expect(redactText(url)).toBe("http://s/v1/a/c/o?temp_url_sig=[redacted]&temp_url_expires=99");
    expect(redactText("/v1/artifacts/i/c/k?expires=5&sig=00ff")).toBe(
      "/v1/artifacts/i/c/k?expires=5&sig=[redacted]",
    );
    expect(redactText("x?temp_url_sig=sha512:AbC-_")).toBe("x?temp_url_sig=[redacted]");
  });
});
