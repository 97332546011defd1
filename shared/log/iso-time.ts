/**
 * `new Date(ms).toISOString()`, remembered for the last millisecond asked: a busy server stamps
 * several log lines and boot records within each millisecond, and formatting a date is not free.
 */
let lastMs = Number.NaN;
let lastIso = "";

export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString(); // throws for an invalid time, as always
    lastMs = ms;
  }
  return lastIso;
}
