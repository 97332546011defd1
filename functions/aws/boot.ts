/**
 * Lambda entry point for `/boot.ipxe` and `/boot/{mac}.ipxe` behind a Function URL (payload 2.0).
 * Reads the table only. Its secrets come from SWIFTBOOT_SECRETS_ARN on the first request; the
 * DynamoDB store (and with it the AWS SDK) loads on the first request that needs it.
 */
import { createApp } from "../../shared/http/app.ts";
import { storeOptions } from "./lib/dynamo.ts";
import { createHttpHandler } from "./lib/http-handler.ts";
import { lazyBootStore } from "./lib/lazy-store.ts";

export const handler = createHttpHandler("boot", ({ config, logger, clientAddress }) =>
  createApp({
    config,
    logger,
    clientAddress,
    store: lazyBootStore(async () => {
      const { createDynamoStore } = await import("../../shared/store/dynamo-store.ts");
      return createDynamoStore(storeOptions(config));
    }),
  }),
);
