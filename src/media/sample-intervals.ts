/** Half-open [start, end) range of timeline samples; `end` is Infinity while open-ended. */
export interface SampleInterval {
  start: number;
  end: number;
}

/** Clips `intervals` to [from, to) and merges overlaps; result is sorted and disjoint. */
export function clipAndMerge(intervals: readonly SampleInterval[], from: number, to: number): SampleInterval[] {
  const clipped = intervals
    .map((interval) => ({ start: Math.max(interval.start, from), end: Math.min(interval.end, to) }))
    .filter((interval) => interval.end > interval.start)
    .sort((a, b) => a.start - b.start);
  const merged: SampleInterval[] = [];
  for (const interval of clipped) {
    const last = merged[merged.length - 1];
    if (last && interval.start <= last.end) last.end = Math.max(last.end, interval.end);
    else merged.push({ ...interval });
  }
  return merged;
}

export function totalLength(intervals: readonly SampleInterval[]): number {
  return intervals.reduce((sum, interval) => sum + (interval.end - interval.start), 0);
}
