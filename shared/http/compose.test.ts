import { describe, expect, it } from "vitest";
import { emptyStore } from "../../test/support/store/index.ts";
import { parseConfig } from "../config/index.ts";
import { createMemoryLogger } from "../log/index.ts";
import { createApp } from "./app.ts";
import { composeApp } from "./compose.ts";
import { artifactsServedElsewhere } from "./routes/artifacts-elsewhere.ts";
import { bootRoutes } from "./routes/boot.ts";

const config = parseConfig({
  env: { SWIFTBOOT_ARTIFACTS_SIGNING_KEY: "0123456789abcdef-key", SWIFTBOOT_ADMIN_TOKENS: "" },
});

describe("composeApp: a deployable's own route groups in the common frame", () => {
  it("serves only the groups it is given, with health, 404 and the request log", async () => {
    const { logger, records } = createMemoryLogger();
    const app = composeApp({ config, store: emptyStore(), logger }, [
      bootRoutes,
      artifactsServedElsewhere,
    ]);

    const boot = await app.request("/boot.ipxe");
    expect(boot.status).toBe(200);
    expect(await boot.text()).toMatch(/^#!ipxe\n/);
    expect((await app.request("/healthz")).status).toBe(200);

    const artifact = await app.request("/v1/artifacts/img/0123/vmlinuz?expires=1&sig=00");
    expect(artifact.status).toBe(421);
    expect(await artifact.text()).toBe(
      "swiftboot: artifacts are not served here: route /v1/artifacts/* to the artifacts function (docs/deploy.md)\n",
    );
    expect((await app.request("/v1/artifacts/x", { method: "HEAD" })).status).toBe(421);

    // No admin group: /v1/nodes is an unknown path, whatever the store could do.
    expect((await app.request("/v1/nodes")).status).toBe(404);
    const requests = records().filter((r) => r.msg === "request");
    expect(requests.map((r) => r.status)).toEqual([200, 200, 421, 421, 404]);
    expect(requests[2]).toMatchObject({ refused: "misrouted" });
  });

  it("createApp mounts every group: artifacts are served (here 503: no cache configured)", async () => {
    const { logger } = createMemoryLogger();
    const app = createApp({ config, store: emptyStore(), logger });
    const res = await app.request("/v1/artifacts/img/0123/vmlinuz?expires=1&sig=00");
    expect(res.status).not.toBe(421);
    expect(res.status).not.toBe(404);
  });
});
