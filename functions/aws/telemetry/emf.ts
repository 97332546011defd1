/**
 * CloudWatch Embedded Metric Format: metrics ride on JSON log lines, so recording one costs a few
 * properties on a line that is written anyway, never a call to CloudWatch on the request path.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export type EmfUnit = "Count" | "Bytes" | "Milliseconds";

export interface MetricSet {
  /** Dimension name → value; every metric in the set is recorded under these dimensions. */
  dimensions: Record<string, string>;
  metrics: Record<string, { value: number; unit: EmfUnit }>;
}

/**
 * The properties that turn a JSON log line into EMF: the `_aws` directive plus each metric value
 * and dimension value as a top-level member. Dimension and metric names are chosen so they do not
 * collide with the log's own fields (PascalCase here, snake_case there).
 */
export function emfFields(
  namespace: string,
  sets: readonly MetricSet[],
  timestamp: number,
): Record<string, unknown> {
  if (sets.length === 0) return {};
  const fields: Record<string, unknown> = {};
  const directives = sets.map((set) => {
    Object.assign(fields, set.dimensions);
    const metrics = Object.entries(set.metrics).map(([name, { value, unit }]) => {
      fields[name] = value;
      return { Name: name, Unit: unit };
    });
    return { Namespace: namespace, Dimensions: [Object.keys(set.dimensions)], Metrics: metrics };
  });
  return { _aws: { Timestamp: timestamp, CloudWatchMetrics: directives }, ...fields };
}
