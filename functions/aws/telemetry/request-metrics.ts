import type { LogFields } from "../../../shared/log/index.ts";
import type { MetricSet } from "./emf.ts";

/**
 * The metrics one request log line carries, derived from the fields the routes already log
 * (shared/http): nothing is measured twice and the routes stay unaware of CloudWatch.
 */
export function requestMetrics(fields: LogFields): MetricSet[] {
  const sets: MetricSet[] = [];
  const path = typeof fields.path === "string" ? fields.path : "";
  const status = typeof fields.status === "number" ? fields.status : 0;
  const count = (value = 1) => ({ value, unit: "Count" as const });

  if (path === "/boot.ipxe") {
    sets.push({ dimensions: {}, metrics: { FirstStageRequests: count() } });
  } else if (path.startsWith("/boot/")) {
    const outcome = typeof fields.outcome === "string" ? fields.outcome : "error";
    // A known node's provision state, else what happened (unknown, error, ...).
    const state = typeof fields.state === "string" ? fields.state : outcome;
    const mode = typeof fields.url_mode === "string" ? fields.url_mode : "none";
    sets.push({
      dimensions: { BootState: state, UrlMode: mode },
      metrics: { BootRequests: count() },
    });
    if (outcome === "unknown") sets.push({ dimensions: {}, metrics: { UnknownMachines: count() } });
  } else if (path.startsWith("/v1/artifacts/")) {
    // `cache` is shared/artifacts/answer.ts's ArtifactSource: where the answer's bytes came from.
    const source = typeof fields.cache === "string" ? fields.cache : undefined;
    if (source === "hit" || source === "redirect") {
      sets.push({ dimensions: {}, metrics: { CacheHits: count() } });
    } else if (source === "fill" || source === "wait" || source === "origin") {
      sets.push({ dimensions: {}, metrics: { CacheMisses: count() } });
    }
    if (source === "fill" && typeof fields.bytes === "number") {
      sets.push({ dimensions: {}, metrics: { FillBytes: { value: fields.bytes, unit: "Bytes" } } });
    }
  }
  if (status >= 500) sets.push({ dimensions: {}, metrics: { ServerErrors: count() } });
  return mergeUndimensioned(sets);
}

/** Sets without dimensions fold into one directive, keeping the line short. */
function mergeUndimensioned(sets: MetricSet[]): MetricSet[] {
  const plain = sets.filter((s) => Object.keys(s.dimensions).length === 0);
  if (plain.length <= 1) return sets;
  const merged: MetricSet = { dimensions: {}, metrics: {} };
  for (const s of plain) Object.assign(merged.metrics, s.metrics);
  return [...sets.filter((s) => Object.keys(s.dimensions).length > 0), merged];
}
