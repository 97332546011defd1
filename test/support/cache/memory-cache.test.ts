import { describeArtifactCacheContract } from "./contract.ts";
import { MemoryCache } from "./memory-cache.ts";

describeArtifactCacheContract("memory", async () => ({
  cache: new MemoryCache(),
  cleanup: async () => {},
  buffersObjects: true,
}));
