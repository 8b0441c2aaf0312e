/**
 * A `metav1.MicroTime` string (RFC 3339 with exactly six fractional digits),
 * as Lease renewTime and acquireTime require; `toISOString()` has three and is rejected.
 */
export function microTime(date: Date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
