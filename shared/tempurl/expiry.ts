import { TempUrlError } from "./errors.ts";

/** Throws unless `expires` is absolute Unix seconds Swift and python-swiftclient agree on. */
export function checkExpires(expires: number): void {
  // Beyond 2^53 the integer Python would print is no longer the one we hold.
  if (!Number.isSafeInteger(expires) || expires < 0) {
    throw new TempUrlError(
      "expires",
      `expires must be a non-negative integer number of Unix seconds (at most 2^53 - 1), got ${String(expires)}`,
    );
  }
}

const PAD2 = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * `time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(seconds))` for seconds >= 0, as
 * python-swiftclient renders `temp_url_expires` with iso8601. Years past 9999 print in full, as
 * glibc does. Arithmetic only: no Date, so any safe integer works.
 */
export function formatIso8601(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  const rem = seconds - days * 86400;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(rem / 3600);
  const minute = Math.floor((rem % 3600) / 60);
  const second = rem % 60;
  return `${year}-${PAD2[month]}-${PAD2[day]}T${PAD2[hour]}:${PAD2[minute]}:${PAD2[second]}Z`;
}
