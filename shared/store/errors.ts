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

/**
 * A conditional write (HTTP If-Match) found another version than the one expected; nothing was
 * written. Version 0 stands for "absent, or written by another tool without a version".
 */
export class VersionMismatchError extends StoreError {
  override name = "VersionMismatchError";
  constructor(
    readonly key: string,
    readonly expected: number,
    /** undefined: the record does not exist. */
    readonly actual: number | undefined,
  ) {
    super(
      `${key} is at version ${actual ?? "(none: it does not exist)"}, not ${expected}; read it again`,
    );
  }
}

/** An image cannot be deleted while nodes refer to it. */
export class ImageInUseError extends StoreError {
  override name = "ImageInUseError";
  constructor(
    readonly imageId: string,
    /** Some or all of the nodes using it (at most a page). */
    readonly nodeIds: string[],
    /** True when more nodes than `nodeIds` use it. */
    readonly more: boolean,
  ) {
    super(
      `image ${imageId} is used by node${nodeIds.length === 1 ? "" : "s"} ${nodeIds.join(", ")}${more ? " and more" : ""}`,
    );
  }
}

/** A node write that requires its images to exist named one that does not; nothing was written. */
export class UnknownImageError extends StoreError {
  override name = "UnknownImageError";
  constructor(
    readonly nodeId: string,
    readonly imageIds: string[],
  ) {
    super(
      `node ${nodeId} refers to unknown image${imageIds.length === 1 ? "" : "s"} ${imageIds.join(", ")}`,
    );
  }
}

/** A pagination cursor that this store did not hand out (or for another query). */
export class InvalidCursorError extends StoreError {
  override name = "InvalidCursorError";
}
