/** Base class for store failures; the HTTP edge maps these to status codes in one place. */
export class StoreError extends Error {
  override name = "StoreError";
}

/** The store could not be reached or did not answer in time: callers answer 503 + Retry-After. */
export class StoreUnavailableError extends StoreError {
  override name = "StoreUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A MAC or UUID is already claimed by another node. */
export class IdentityConflictError extends StoreError {
  override name = "IdentityConflictError";
  constructor(
    readonly kind: "mac" | "uuid",
    readonly value: string,
    readonly otherNodeId: string,
  ) {
    super(`${kind === "mac" ? "MAC" : "UUID"} ${value} already belongs to node ${otherNodeId}`);
  }
}

/** A stored item failed validation on read: reported, never served half-parsed. */
export class CorruptRecordError extends StoreError {
  override name = "CorruptRecordError";
  constructor(
    readonly key: string,
    readonly problems: string,
  ) {
    super(`stored record ${key} is invalid: ${problems}`);
  }
}

/** A record handed to the store for writing failed validation; nothing was written. */
export class InvalidRecordError extends StoreError {
  override name = "InvalidRecordError";
  constructor(
    readonly key: string,
    readonly problems: string,
  ) {
    super(`record ${key} is invalid: ${problems}`);
  }
}

/** A write lost a race with other writers more times than it retries; nothing was written. */
export class ConcurrentModificationError extends StoreError {
  override name = "ConcurrentModificationError";
}
