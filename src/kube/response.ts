/** What every request yields, success or not: the hot path records these fields. */
export interface KubeResponse<T = unknown> {
  /** HTTP status, or 0 when the request failed before a response (see `error`). */
  readonly status: number;
  /** Parsed JSON body when asked for and present. */
  readonly body: T | undefined;
  /** Response body size in bytes. */
  readonly bytes: number;
  /** `performance.now()` when the request was handed to the connection pool. */
  readonly sentAt: number;
  /** `performance.now()` when the status line and headers arrived (0 if they never did). */
  readonly headersAt: number;
  /** `performance.now()` when the body was fully read or the request failed. */
  readonly doneAt: number;
  /** From `X-Kubernetes-PF-FlowSchema-UID`. */
  readonly flowSchemaUID: string | undefined;
  /** From `X-Kubernetes-PF-PriorityLevel-UID`. */
  readonly priorityLevelUID: string | undefined;
  /** `Retry-After` in seconds (429s carry it). */
  readonly retryAfterSeconds: number | undefined;
  /** Transport failure (connection refused, reset, timeout); `status` is 0 then. */
  readonly error: { code: string; message: string } | undefined;
}

export function isSuccess(r: KubeResponse): boolean {
  return r.status >= 200 && r.status < 300;
}

/** A Kubernetes `Status` object, as returned with error codes. */
export interface KubeStatus {
  kind: 'Status';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
}
