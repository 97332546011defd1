/**
 * Log lines written straight to stdout, for Node processes (`npm start`; the Lambda logger writes
 * to stdout too, functions/aws/telemetry/logger.ts). console.log formats its arguments and makes
 * one write per line: at thousands of scripts a second that is most of a request's log cost.
 * Here the lines of one turn of the event loop go out in one write, at the end of the turn
 * (setImmediate), as pino's buffered destinations do; a process that exits (normally, by a signal
 * it handles, or on an uncaught exception) writes what it holds first. Only a SIGKILL loses the
 * lines of the current turn.
 *
 * A reader that goes away (`npm start | head`) makes stdout fail with EPIPE; console.log ignores
 * that, and so does this: a server must not die because nobody reads its log.
 */
export function stdoutLineWriter(): (line: string) => void {
  if (!process.stdout.listeners("error").includes(ignoreStdoutError)) {
    process.stdout.on("error", ignoreStdoutError);
    process.on("exit", flush);
  }
  return (line) => {
    held += `${line}\n`;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}

let held = "";
let scheduled = false;

function flush(): void {
  scheduled = false;
  if (held === "") return;
  const lines = held;
  held = "";
  process.stdout.write(lines);
}

function ignoreStdoutError(): void {
  // The reader is gone; there is nowhere left to report to.
}
