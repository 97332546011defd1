import { readFileSync, unwatchFile, watchFile } from "node:fs";
import type { Server as HttpsServer } from "node:https";
import type { Config } from "../../shared/config/index.ts";
import type { Logger } from "../../shared/log/index.ts";

export type TlsFiles = { cert: string; key: string };

/** `server.tls_cert` and `server.tls_key` when both are set (the schema refuses one alone). */
export function tlsFiles(config: Config): TlsFiles | undefined {
  const { tls_cert: cert, tls_key: key } = config.server;
  return cert === undefined || key === undefined ? undefined : { cert, key };
}

/** The PEMs, read now. A missing or unreadable file is named in the error, its contents never. */
export function readTls(files: TlsFiles): { cert: Buffer; key: Buffer } {
  const read = (option: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(
        `${option} ${path}: ${(error as NodeJS.ErrnoException).code ?? "unreadable"}`,
      );
    }
  };
  return { cert: read("server.tls_cert", files.cert), key: read("server.tls_key", files.key) };
}

/** How often the files are checked: polling sees renames and replaced files alike. */
const POLL_MS = 1000;

/**
 * Reloads the certificate and key into a running HTTPS server when either file changes, so a
 * renewed certificate needs no restart. A pair that does not load (half-written, mismatched)
 * leaves the running one in place and is tried again on the next change. Returns the stop function.
 */
export function reloadTlsOnChange(
  server: HttpsServer,
  files: TlsFiles,
  logger: Logger,
): () => void {
  const reload = () => {
    try {
      server.setSecureContext(readTls(files));
      logger.info("TLS certificate reloaded", { cert: files.cert });
    } catch (error) {
      logger.warn("TLS certificate reload failed; the running certificate stays", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };
  const onChange = (current: { mtimeMs: number }, previous: { mtimeMs: number }) => {
    if (current.mtimeMs !== previous.mtimeMs) reload();
  };
  for (const path of [files.cert, files.key]) watchFile(path, { interval: POLL_MS }, onChange);
  return () => {
    for (const path of [files.cert, files.key]) unwatchFile(path, onChange);
  };
}
