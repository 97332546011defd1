import { ConcurrentModificationError, VersionMismatchError } from "../../store/errors.ts";
import type { Versioned } from "../../store/types.ts";
import { ProblemError } from "../problem.ts";

/**
 * ETags and If-Match. A record's ETag is its store version in quotes (`"3"`); a write with
 * If-Match applies only to that version (412 otherwise), a write without it applies to whatever
 * is current. Weak tags (`W/"3"`) are read as strong ones: versions are exact.
 */

export const etagOf = (version: number) => `"${version}"`;

/** `*`: any existing version. */
export type IfMatch = number | "*" | undefined;

export function parseIfMatch(header: string | undefined): IfMatch {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === "*") return "*";
  const match = /^(?:W\/)?"(\d{1,15})"$/.exec(value);
  if (match === null) {
    throw new ProblemError(
      "validation",
      'If-Match: give one ETag from a previous answer, such as "3", or *',
      { errors: [{ path: "If-Match", message: 'must be one ETag such as "3", or *' }] },
    );
  }
  return Number(match[1]);
}

/**
 * The version a conditional write must find, given what was just read: If-Match's, or (without
 * one) the version read, so the write still applies to exactly what was checked.
 */
export function expectedVersion(
  key: string,
  ifMatch: IfMatch,
  current: Versioned<unknown> | undefined,
): number {
  if (ifMatch === undefined) return current?.version ?? 0;
  if (ifMatch === "*") {
    if (current === undefined) throw new VersionMismatchError(key, 1, undefined);
    return current.version;
  }
  if (current === undefined || current.version !== ifMatch) {
    throw new VersionMismatchError(key, ifMatch, current?.version);
  }
  return ifMatch;
}

/**
 * Runs a read-check-write. Without If-Match, a write that lost a race to another writer (its
 * version moved between the read and the write) is run again from a fresh read: the caller asked
 * for last-writer-wins, but the checks (state rules, existence) must hold for what is written.
 */
export async function readCheckWrite<T>(ifMatch: IfMatch, run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof VersionMismatchError) || ifMatch !== undefined) throw error;
      if (attempt >= MAX_ATTEMPTS) {
        throw new ConcurrentModificationError(
          `${error.key} kept changing during ${MAX_ATTEMPTS} attempts to write it; try again`,
        );
      }
    }
  }
}

const MAX_ATTEMPTS = 4;
