/**
 * Lambda entry point for the admin API under `/v1` behind a Function URL with AWS_IAM auth (callers
 * sign with SigV4), on top of the API's own bearer tokens (`admin.tokens`, a secret option).
 * Reads and writes the table.
 */
import { createApp } from "../../shared/http/app.ts";
import { createDynamoStore } from "../../shared/store/dynamo-store.ts";
import { storeOptions } from "../../shared/store/options.ts";
import { createHttpHandler } from "./handlers/http-buffered.ts";

export const handler = createHttpHandler("admin", ({ config, logger, clientAddress }) =>
  createApp({ config, logger, clientAddress, store: createDynamoStore(storeOptions(config)) }),
);
