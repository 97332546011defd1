import { describe, expect, it } from "vitest";
import type { SightingWrite } from "../../../shared/discovery/record.ts";
import { emptyStore } from "../../../test/support/store/index.ts";
import { lazyBootStore } from "./lazy-store.ts";

const write: SightingWrite = {
  sighting: { mac: "02:00:00:00:00:01", at: new Date(0) },
  count: 1,
  ttlSeconds: 60,
  minIntervalSeconds: 60,
};

describe("lazyBootStore", () => {
  it("passes sightings of unknown machines on to a store that records them", async () => {
    const seen: SightingWrite[] = [];
    const store = lazyBootStore(async () =>
      Object.assign(emptyStore(), {
        recordSighting: async (w: SightingWrite) => {
          seen.push(w);
          return true;
        },
      }),
    );
    expect(await store.recordSighting(write)).toBe(true);
    expect(seen).toEqual([write]);
  });

  it("records nothing for a store that keeps no discovered list", async () => {
    const store = lazyBootStore(async () => emptyStore());
    expect(await store.recordSighting(write)).toBe(false);
  });
});
