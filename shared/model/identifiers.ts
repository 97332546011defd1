import * as z from "../validation/zod.ts";

/**
 * Identifiers that end up in URLs, DynamoDB keys, logs and iPXE scripts. They are kept to a
 * conservative alphabet so that none of those places ever needs escaping.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export const idSchema = z
  .string()
  .check(
    z.regex(
      ID_PATTERN,
      "must be 1-128 characters of A-Z a-z 0-9 . _ : - starting with a letter or digit",
    ),
  );

/** Free text shown to people (names). Printable, single line; rendered through iPXE escaping. */
export const nameSchema = z.string().check(
  z.minLength(1, "must not be empty"),
  z.maxLength(200, "must be at most 200 characters"),
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  z.regex(/^[^\u0000-\u001f\u007f]+$/, "must not contain control characters or newlines"),
);

/** Six hex pairs, separated all by `:`, all by `-`, or not at all. */
const MAC =
  /^([0-9a-f]{2})([:-]?)([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/;

/**
 * Normalises a MAC address written as `52:54:00:AB:CD:EF`, `52-54-00-ab-cd-ef` or `525400abcdef`
 * to the canonical lower-case colon form. Returns undefined for anything else.
 */
export function normalizeMac(input: string): string | undefined {
  // iPXE sends `${mac:hexhyp}`, already lower case: only other spellings pay for trim and case.
  const m = MAC.exec(input) ?? MAC.exec(input.trim().toLowerCase());
  if (m === null) return undefined;
  return `${m[1]}:${m[3]}:${m[4]}:${m[5]}:${m[6]}:${m[7]}`;
}

/** A string stored in its canonical form (`normalize`), refused with `message` when it has none. */
function canonicalString(normalize: (input: string) => string | undefined, message: string) {
  return z.pipe(
    z.string(),
    z.transform((value: string, ctx) => {
      const canonical = normalize(value);
      if (canonical !== undefined) return canonical;
      ctx.issues.push({ code: "custom", input: value, message });
      return z.NEVER;
    }),
  );
}

export const macSchema = canonicalString(
  normalizeMac,
  "must be a MAC address such as 52:54:00:ab:cd:ef, 52-54-00-ab-cd-ef or 525400abcdef",
);

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** SMBIOS UUIDs as iPXE prints them (`${uuid}`); stored lower case. */
export function normalizeUuid(input: string): string | undefined {
  const lower = input.trim().toLowerCase();
  return UUID_PATTERN.test(lower) ? lower : undefined;
}

export const uuidSchema = canonicalString(
  normalizeUuid,
  "must be a UUID such as 4c4c4544-0042-3510-8052-b4c04f384d32",
);

/** Values of iPXE's `${buildarch}`. */
export const ARCHES = [
  "i386",
  "x86_64",
  "arm32",
  "arm64",
  "riscv32",
  "riscv64",
  "loong64",
] as const;
export type Arch = (typeof ARCHES)[number];
export const archSchema = z.enum(ARCHES);

/** Values of iPXE's `${platform}`. */
export const PLATFORMS = ["pcbios", "efi"] as const;
export type Platform = (typeof PLATFORMS)[number];
export const platformSchema = z.enum(PLATFORMS);
