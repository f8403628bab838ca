/** Median of the runs: on a shared, busy machine the middle run is what a user would see. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}
