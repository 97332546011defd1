import { asWrittenBy, type StoreKept } from "../store/provision-fields.ts";

/**
 * Structural equality for validated records (plain JSON values): object key order is ignored,
 * list order is not. Decides "unchanged" in import reports without a write.
 */
export function sameRecord(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((value, i) => sameRecord(value, b[i]))
    );
  }
  const aEntries = Object.entries(a).filter(([, v]) => v !== undefined);
  const bObject = b as Record<string, unknown>;
  const bCount = Object.values(bObject).filter((v) => v !== undefined).length;
  return aEntries.length === bCount && aEntries.every(([k, v]) => sameRecord(v, bObject[k]));
}

/**
 * `next` would change nothing over `stored`: equal once the fields the store keeps on its own (a
 * node's state_id, and reports `next` leaves out) are set aside. Images have none of them.
 */
export function sameAsStored(stored: object, next: object): boolean {
  return sameRecord(asWrittenBy(stored as StoreKept, next as StoreKept), next);
}
