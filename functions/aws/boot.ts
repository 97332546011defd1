/**
 * Lambda entry point for `/boot.ipxe` and `/boot/{mac}.ipxe` behind a Function URL (payload 2.0).
 * Reads the table only. Its secrets come from SWIFTBOOT_SECRETS_ARN on the first request; the
 * DynamoDB store (and with it the AWS SDK) loads on the first request that needs it.
 *
 * It mounts the boot routes alone: artifacts are the artifacts function's (a misrouted artifact
 * request is told so), the admin API the admin function's. Neither is in this bundle, which
 * keeps the cold start short (bench/cold-start.ts).
 */
import { composeApp } from "../../shared/http/compose.ts";
import { artifactsServedElsewhere } from "../../shared/http/routes/artifacts-elsewhere.ts";
import { bootRoutes } from "../../shared/http/routes/boot.ts";
import { storeOptions } from "../../shared/store/options.ts";
import { lazyBootStore } from "./clients/lazy-store.ts";
import { behindViewerFront } from "./front/viewer.ts";
import { createHttpHandler } from "./handlers/http-buffered.ts";

export const handler = createHttpHandler("boot", (runtime) =>
  behindViewerFront(runtime, ({ config, logger, clientAddress }) =>
    composeApp(
      {
        config,
        logger,
        clientAddress,
        store: lazyBootStore(async () => {
          const { createDynamoStore } = await import("../../shared/store/dynamo-store.ts");
          return createDynamoStore(storeOptions(config));
        }),
      },
      [bootRoutes, artifactsServedElsewhere],
    ),
  ),
);
