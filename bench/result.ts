/** One benchmark figure, as each bench module returns it and bench/index.ts prints it. */
export interface BenchResult {
  name: string;
  value: number;
  /** e.g. "ns/op", "us/op". */
  unit: string;
  /** What the figure is compared with, e.g. "python-swiftclient generate_temp_url". */
  baseline?: string;
  /** baseline / value for times: >= 1.0 means at least as fast as the baseline. */
  ratio?: number;
  /** The goal, in words: "<= 25 us", "ratio >= 1.0". */
  target?: string;
}
