/**
 * Log lines written straight to stdout, for Node processes (`npm start`; the Lambda logger does the
 * same in functions/aws/telemetry/logger.ts). console.log formats its arguments and looks up the
 * console's state on every call: most of the cost of a request's log line, at thousands of
 * scripts a second. Writes to a pipe or file are synchronous on Linux, as console.log's are.
 *
 * A reader that goes away (`npm start | head`) makes stdout fail with EPIPE; console.log ignores
 * that, and so does this (once installed, stdout errors are dropped, never thrown): a server must
 * not die because nobody reads its log.
 */
export function stdoutLineWriter(): (line: string) => void {
  if (!process.stdout.listeners("error").includes(ignoreStdoutError)) {
    process.stdout.on("error", ignoreStdoutError);
  }
  return (line) => {
    process.stdout.write(`${line}\n`);
  };
}

function ignoreStdoutError(): void {
  // The reader is gone; there is nowhere left to report to.
}
