import { createServer } from "node:net";
import { type DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { type Image, imageSchema, type Node, nodeSchema } from "../../../shared/model/index.ts";
import type { AdminStore } from "../../../shared/store/index.ts";
import { scriptProblems } from "../../support/ipxe/check.ts";

/** Shared by the fault tests: seed data, timed requests, table snapshots, free ports. */

export const ARTIFACT_KEY = "fault-artifact-key-0123456789abcdef";
export const TEMP_URL_KEY = "fault-temp-url-key-0123456789abcdef";

export const IMAGES: Image[] = [
  imageSchema.parse({
    id: "ipa-kernel",
    name: "IPA kernel",
    swift: { container: "images", object: "ipa/deploy.kernel" },
  }),
  imageSchema.parse({
    id: "ipa-ramdisk",
    name: "IPA ramdisk",
    swift: { container: "images", object: "ipa/deploy.initramfs" },
  }),
];

/** `count` deploying nodes, MACs 52:54:00:fa:XX:XX, all using IMAGES. */
export function faultNodes(count: number): Node[] {
  return Array.from({ length: count }, (_, i) =>
    nodeSchema.parse({
      id: `fault-${i}`,
      name: `fault node ${i}`,
      macs: [faultMac(i)],
      state: "deploying",
      deploy: { kernel: "ipa-kernel", ramdisk: "ipa-ramdisk" },
      kernel_args: `console=ttyS0 node=${i}`,
    }),
  );
}

export function faultMac(i: number): string {
  const hex = i.toString(16).padStart(4, "0");
  return `52:54:00:fa:${hex.slice(0, 2)}:${hex.slice(2)}`;
}

export function macPath(mac: string): string {
  return `/boot/${mac.replaceAll(":", "-")}.ipxe`;
}

export async function seed(store: AdminStore, nodes: readonly Node[]): Promise<void> {
  for (const image of IMAGES) await store.putImage(image);
  for (const node of nodes) await store.putNode(node);
}

export interface TimedResponse {
  status: number;
  headers: Headers;
  text: string;
  ms: number;
}

/** A GET with a client-side limit far above what the server may take, so a hang shows as such. */
export async function timedGet(url: string, limitMs = 30_000): Promise<TimedResponse> {
  const started = performance.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(limitMs) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, ms: performance.now() - started };
}

/**
 * Every item in the table, sorted by key: two snapshots are equal iff nothing changed. Boot
 * history items (`BOOT#...`, appended by every script served) are left out with `withoutHistory`.
 */
export async function tableSnapshot(
  raw: DynamoDBDocumentClient,
  table: string,
  { withoutHistory = false } = {},
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await raw.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  const key = (i: Record<string, unknown>) => `${String(i.pk)}\u0000${String(i.sk)}`;
  return items
    .filter((i) => !(withoutHistory && String(i.sk).startsWith("BOOT#")))
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The script a store outage produces: 503, Retry-After, and a body iPXE can run. */
export function unavailableProblems(res: TimedResponse): string[] {
  const problems: string[] = [];
  if (res.status !== 503) problems.push(`status ${res.status}`);
  if (res.headers.get("retry-after") === null) problems.push("no Retry-After");
  if (res.headers.get("cache-control") !== "no-store") problems.push("cacheable");
  problems.push(...scriptProblems(res.text));
  return problems;
}

/**
 * A per-node script with everything that changes per request (expiry, signature) masked, so two
 * answers for the same node and data compare equal.
 */
export function stableScript(text: string): string {
  return (
    text
      .replace(/expires=\d+/g, "expires=E")
      .replace(/temp_url_expires=\d+/g, "temp_url_expires=E")
      .replace(/sig=[0-9a-f]+/g, "sig=S")
      // A callback URL's expiry and signature (docs/provisioning.md).
      .replace(/(\/v1\/callbacks\/\S+?\/)\d+\/[0-9a-f]{64}/g, "$1E/S")
  );
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns how long it took. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await check().catch(() => false)) return performance.now() - started;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
