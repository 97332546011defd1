/**
 * Lambda entry point for `/boot.ipxe` and `/boot/{mac}.ipxe` behind a Function URL (payload 2.0)
 * in RESPONSE_STREAM mode. Reads the table only, and appends to the boot history. Its secrets
 * come from SWIFTBOOT_SECRETS_ARN on the first request; the DynamoDB store (and with it the AWS
 * SDK) loads on the first request that needs it.
 *
 * It mounts the boot routes alone: artifacts are the artifacts function's (a misrouted artifact
 * request is told so), the admin API the admin function's. Neither is in this bundle, which
 * keeps the cold start short (bench/cold-start.ts).
 *
 * Streamed so that the boot history is off the critical path: the machine has its whole script
 * (the stream has ended) before the history write starts; the invocation then waits for the
 * write, since Lambda freezes the environment once the handler returns.
 */
import { BootHistoryQueue } from "../../shared/boot/history-queue.ts";
import { composeApp } from "../../shared/http/compose.ts";
import { artifactsServedElsewhere } from "../../shared/http/routes/artifacts-elsewhere.ts";
import { bootRoutes } from "../../shared/http/routes/boot.ts";
import { storeOptions } from "../../shared/store/options.ts";
import { lazyBootStore } from "./clients/lazy-store.ts";
import { behindViewerFront } from "./front/viewer.ts";
import { createStreamingHandler } from "./handlers/http-streaming.ts";

/**
 * How long a boot record may wait if nothing flushed the queue. The handler flushes it as soon
 * as the response stream has ended, so this is only a backstop: an environment serves one request
 * at a time, so there are never other machines' records to wait for.
 */
const HISTORY_BACKSTOP_MS = 1_000;

export const handler = createStreamingHandler(
  "boot",
  (runtime) =>
    behindViewerFront(runtime, ({ config, logger, clientAddress, afterResponse }) => {
      const store = lazyBootStore(async () => {
        const { createDynamoStore } = await import("../../shared/store/dynamo-store.ts");
        return createDynamoStore(storeOptions(config));
      });
      const bootHistory = new BootHistoryQueue({ store, logger, delayMs: HISTORY_BACKSTOP_MS });
      afterResponse(() => bootHistory.flush());
      return composeApp({ config, logger, clientAddress, store, bootHistory }, [
        bootRoutes,
        artifactsServedElsewhere,
      ]);
    }),
  process.env,
  // Scripts are a few KB: written whole, without piping through web streams.
  { bodies: "buffer" },
);
