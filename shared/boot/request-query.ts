import type { QueryValues } from "./identity.ts";

/**
 * The query of a request URL as `new URL(url).searchParams` reads it, without parsing the whole
 * URL when the query is plain (what iPXE sends: `uuid=...&arch=x86_64&platform=efi&attempt=1`).
 * Plain means letters, digits and `. _ ~ : , -` in names and values: nothing a URL parser would
 * percent-encode or a query parser decode, so splitting on `&` and the first `=` reads the same
 * pairs. Anything else (escapes, `+`, spaces, a fragment) takes the full parse.
 */
const PLAIN_QUERY = /^[\w.~:,=&-]*$/;

export function requestQuery(url: string): QueryValues {
  const start = url.indexOf("?");
  if (start === -1 && !url.includes("#")) return NO_QUERY;
  const query = url.slice(start + 1);
  if (start === -1 || !PLAIN_QUERY.test(query) || url.lastIndexOf("#", start) !== -1) {
    return new URL(url).searchParams;
  }
  return new PlainQuery(query);
}

const NO_QUERY: QueryValues = { get: () => null };

class PlainQuery implements QueryValues {
  readonly #names: string[] = [];
  readonly #values: string[] = [];

  constructor(query: string) {
    for (const pair of query.split("&")) {
      if (pair === "") continue; // `a=1&&b=2`: no pair between the two
      const eq = pair.indexOf("=");
      this.#names.push(eq === -1 ? pair : pair.slice(0, eq));
      this.#values.push(eq === -1 ? "" : pair.slice(eq + 1));
    }
  }

  /** The first value named `name`, as URLSearchParams.get. */
  get(name: string): string | null {
    const i = this.#names.indexOf(name);
    return i === -1 ? null : (this.#values[i] as string);
  }
}
