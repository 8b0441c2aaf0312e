/** The slice of Kubernetes object shapes that apfbench reads. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  /** For ERROR events this is a `Status` (code 410 when the resourceVersion is too old). */
  object: T;
}

/** Stands for the one string a `jsonTemplate` fills in; JSON text never holds it unescaped. */
const HOLE = '\u0000apfbench:hole\u0000';
const HOLE_JSON = JSON.stringify(HOLE);

/**
 * JSON.stringify of objects that differ in one string only, without serializing the rest again:
 * `shape(hole)` is serialized once, split where `hole` went, and each call joins the parts
 * around the JSON of its value, so the bytes are those of `JSON.stringify(shape(value))`.
 *
 * @throws Error when `shape` does not put `hole` in its result exactly once, as a string value.
 */
export function jsonTemplate(shape: (hole: string) => unknown): (value: string) => string {
  const parts = JSON.stringify(shape(HOLE)).split(HOLE_JSON);
  if (parts.length !== 2) {
    throw new Error(`a JSON template needs its hole exactly once (found ${parts.length - 1})`);
  }
  const [head, tail] = parts as [string, string];
  return (value) => head + JSON.stringify(value) + tail;
}
