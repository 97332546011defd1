/**
 * Lambda entry point for the admin API under `/v1` behind a Function URL with AWS_IAM auth (callers
 * sign with SigV4, which AWS checks). With `admin.iam_principals` the verified IAM principal is
 * the actor and its entry the scope; without, the API's own bearer tokens (`admin.tokens`) apply,
 * which only a front that does not need the Authorization header for SigV4 can carry.
 * Reads and writes the table.
 */
import { createApp } from "../../shared/http/app.ts";
import { iamPrincipalAuth, parsePrincipalEntries } from "../../shared/http/auth/iam-principal.ts";
import { createDynamoStore } from "../../shared/store/dynamo-store.ts";
import { storeOptions } from "../../shared/store/options.ts";
import { createHttpHandler } from "./handlers/http-buffered.ts";

export const handler = createHttpHandler("admin", ({ config, logger, clientAddress }) => {
  const principals = parsePrincipalEntries(config.admin.iam_principals);
  return createApp({
    config,
    logger,
    clientAddress,
    store: createDynamoStore(storeOptions(config)),
    // With admin.iam_principals (the stack sets it), the caller AWS verified is the actor.
    ...(principals.length === 0 ? {} : { adminAuth: iamPrincipalAuth(principals) }),
  });
});
