/**
 * Bearer tokens that change during a run: an exec plugin's, which expires (an EKS token lasts
 * 15 minutes), and a token file's, which the kubelet rotates (a bound ServiceAccount token).
 *
 * client-go checks an exec credential's `expirationTimestamp` when a request is about to use it
 * and runs the plugin again once it has passed (`plugin/pkg/client/auth/exec/exec.go`), and
 * re-reads a token file every minute (`transport/token_source.go`). apfbench cannot check per
 * request: its requests are written by worker threads that never run the plugin, with headers
 * built ahead of time. So the process that loaded the kubeconfig refreshes ahead of the expiry,
 * on a timer, and hands each new token to whoever sends (the coordinator posts it to the worker
 * threads, whose transports swap it in). The margin (`refreshDelayMs`) covers the plugin's run,
 * the token's way to the workers, and a request's wait for a free connection (its headers are
 * built when it is handed to the transport); like client-go, a 401 answered to a token makes it
 * run the plugin again, once per token.
 */

/** A token as its source gave it; `expiresAt` (ms since the epoch) when the source says. */
export interface FetchedToken {
  readonly token: string;
  readonly expiresAt?: number | undefined;
}

/** How often a token without an expiry is fetched again: client-go re-reads token files each minute. */
export const TOKEN_REREAD_MS = 60_000;

/** The least margin before an expiry at which a token is replaced. */
const MIN_MARGIN_MS = 2_000;

/**
 * Milliseconds from `now` until a token that expires at `expiresAt` is replaced: when a fifth of
 * its lifetime remains, but at least MIN_MARGIN_MS before the expiry and never before half of
 * its lifetime has run (so a token that lives 1 s is not fetched in a loop). A 15-minute token is
 * replaced 3 minutes early, a 5-second one 2 seconds early. Without an expiry: `rereadMs`.
 */
export function refreshDelayMs(
  now: number,
  expiresAt: number | undefined,
  rereadMs: number | undefined,
): number | undefined {
  if (expiresAt === undefined) return rereadMs;
  const lifetime = Math.max(0, expiresAt - now);
  const margin = Math.min(lifetime / 2, Math.max(MIN_MARGIN_MS, lifetime / 5));
  return lifetime - margin;
}

export interface RefreshingTokenOptions {
  /** Fetch again this often when the token has no expiry (token files); undefined: never. */
  readonly rereadMs?: number | undefined;
  /** Wait after a failed fetch before the next try. */
  readonly retryMs?: number;
  readonly now?: () => number;
}

/**
 * One refreshable credential: the current token, replaced before it expires once `start` is
 * called. Listeners hear every new token. Timers are unref'd: they never keep a process alive.
 */
export class RefreshingToken {
  private fetched: FetchedToken;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private running = false;
  private readonly listeners = new Set<(token: string) => void>();
  private readonly failureListeners = new Set<(error: unknown) => void>();
  private readonly rejectedTokens = new Set<string>();
  private readonly now: () => number;

  /**
   * `name` identifies the credential to transports (Identity.credential); `fetch` gets a new
   * token (runs the plugin, reads the file); `first` is the token fetched when the kubeconfig
   * was loaded.
   */
  constructor(
    readonly name: string,
    private readonly fetch: () => Promise<FetchedToken>,
    first: FetchedToken,
    private readonly opts: RefreshingTokenOptions = {},
  ) {
    this.fetched = first;
    this.now = opts.now ?? Date.now;
  }

  get token(): string {
    return this.fetched.token;
  }

  get expiresAt(): number | undefined {
    return this.fetched.expiresAt;
  }

  /** Calls `listener` with each new token; returns the function that stops it. */
  onChange(listener: (token: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Calls `listener` with each failed fetch (the current token stays in use, and the fetch is
   * tried again after `retryMs`); returns the function that stops it.
   */
  onFailure(listener: (error: unknown) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  /** Keeps the token fresh from now on (a token already expired or about to is replaced now). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  /**
   * The server answered 401 to a request with `token`: as client-go does, fetch again, once
   * per token, and only if it is still the current one (a newer token is already on its way).
   */
  rejected(token: string): void {
    if (token !== this.fetched.token || this.rejectedTokens.has(token)) return;
    this.rejectedTokens.add(token);
    void this.refresh();
  }

  /** Fetches a new token now (one fetch at a time) and tells the listeners. */
  refresh(): Promise<void> {
    this.inflight ??= this.fetch().then(
      (next) => {
        this.inflight = undefined;
        this.fetched = next;
        this.schedule();
        for (const listener of this.listeners) listener(next.token);
      },
      (error: unknown) => {
        this.inflight = undefined;
        this.schedule(this.opts.retryMs ?? 1_000);
        for (const listener of this.failureListeners) listener(error);
      },
    );
    return this.inflight;
  }

  private schedule(delay = refreshDelayMs(this.now(), this.expiresAt, this.opts.rereadMs)): void {
    clearTimeout(this.timer);
    if (!this.running || delay === undefined) return;
    this.timer = setTimeout(() => void this.refresh(), Math.max(0, delay));
    this.timer.unref();
  }
}
