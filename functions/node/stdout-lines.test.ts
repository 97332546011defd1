import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const MODULE = fileURLToPath(new URL("./stdout-lines.ts", import.meta.url));

/**
 * A child process logging through stdoutLineWriter after its stdout's reader has gone away (as
 * with `npm start | head`): it must keep running and exit normally.
 */
function logAfterReaderLeaves(): Promise<{ code: number | null; stderr: string }> {
  const script = `
    const { stdoutLineWriter } = await import(${JSON.stringify(MODULE)});
    const write = stdoutLineWriter();
    write("first");
    await new Promise((r) => setTimeout(r, 300)); // the parent closes its end meanwhile
    for (let i = 0; i < 2000; i++) write(JSON.stringify({ i, msg: "request" }));
    await new Promise((r) => setTimeout(r, 100));
    process.stderr.write("still alive\\n");
  `;
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.once("data", () => child.stdout.destroy());
    child.once("exit", (code) => resolve({ code, stderr }));
  });
}

/** A child that logs `count` lines and exits in the same turn of its event loop. */
function logAndExit(count: number): Promise<{ code: number | null; stdout: string }> {
  const script = `
    const { stdoutLineWriter } = await import(${JSON.stringify(MODULE)});
    const write = stdoutLineWriter();
    for (let i = 0; i < ${count}; i++) write(JSON.stringify({ i, msg: "request" }));
    process.exit(0);
  `;
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.once("close", (code) => resolve({ code, stdout }));
  });
}

describe("stdoutLineWriter", () => {
  it("loses no line held at exit: every line, whole and in order", async () => {
    const { code, stdout } = await logAndExit(5_000);
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(5_000);
    expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual(
      Array.from({ length: 5_000 }, (_, i) => i),
    );
  });

  it("survives a reader that goes away (EPIPE), as console.log does", async () => {
    const { code, stderr } = await logAfterReaderLeaves();
    expect(stderr).toContain("still alive");
    expect(code).toBe(0);
  });
});
