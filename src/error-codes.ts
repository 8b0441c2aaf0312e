/**
 * Every code an ApfbenchError can carry, with its kind (which decides the exit status) and a
 * one-line meaning. A code is part of the contract: scripts match on it, so one is never
 * renamed or reused. docs/errors.md is generated from this table (npm run gen:errors-doc).
 */
export type ErrorKind =
  'invalid-input' | 'environment' | 'internal' | 'check-failed' | 'interrupted';

/** Exit codes are part of the contract: scripts and CI branch on them. */
export const ExitCode = {
  ok: 0,
  internal: 1,
  invalidInput: 2,
  checkFailed: 3,
  interrupted: 130,
} as const;

/** An environment problem (a missing tool, a busy port) exits like an internal error. */
export const EXIT_CODE_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  'invalid-input': ExitCode.invalidInput,
  environment: ExitCode.internal,
  internal: ExitCode.internal,
  'check-failed': ExitCode.checkFailed,
  interrupted: ExitCode.interrupted,
};

interface ErrorCodeEntry {
  readonly kind: ErrorKind;
  readonly meaning: string;
}

const invalid = (meaning: string) => ({ kind: 'invalid-input', meaning }) as const;
const environment = (meaning: string) => ({ kind: 'environment', meaning }) as const;

export const ERROR_CODES = {
  APFBENCH_AGENT_LOST: environment(
    'an agent disconnected or died mid-run: the run finished with status partial, without its instances',
  ),
  APFBENCH_AGENT_REFUSED: invalid(
    'the coordinator refused an agent: wrong agent token, other protocol version, or an index taken or out of range',
  ),
  APFBENCH_AGENT_TLS: invalid(
    'TLS on the agent channel failed: a certificate not signed by the CA given, naming another host, expired, or refused, or one side without TLS',
  ),
  APFBENCH_AGENT_UNREACHABLE: environment('the agent cannot reach its coordinator, or lost it'),
  APFBENCH_AGENTS_MISSING: environment('run --agents timed out before every agent had joined'),
  APFBENCH_AUDIT_LOG_UNWRITABLE: invalid(
    'the audit log of a local control plane cannot be written where it was asked to go',
  ),
  APFBENCH_BAD_APISERVER_ARG: invalid('an --apiserver-arg for a kind cluster is not key=value'),
  APFBENCH_BAD_AUDIT_LOG: invalid(
    'an audit log cannot be read, holds no request a scenario can be derived from, or (with --strict) has lines that are not audit events',
  ),
  APFBENCH_BAD_DIR: invalid('cluster up --dir cannot be read or holds files that are not its own'),
  APFBENCH_BAD_FLAG: invalid('a command-line flag or API-server flag has a bad value'),
  APFBENCH_BAD_STOP: invalid(
    'a sweep --stop condition is not an expression of the budget language, or names no metric',
  ),
  APFBENCH_BAD_VARY: invalid(
    'a sweep --vary is not PATH=FROM..TO over a field of the scenario, or makes too many levels',
  ),
  APFBENCH_BAD_GOMOD: {
    kind: 'internal',
    meaning: 'hack/control-plane/go.mod lacks a module the control-plane build needs',
  },
  APFBENCH_BAD_OUT: invalid('--out is not a directory that can be written'),
  APFBENCH_BAD_OBJECTIVE: invalid("--objective is not a metric path of the scenario's results"),
  APFBENCH_BAD_PAIRS: invalid('--victim and --noisy do not pair up, or name unknown groups'),
  APFBENCH_BAD_SNAPSHOT: invalid('the file is not a JSON profile snapshot written by apfbench'),
  APFBENCH_BINARY_MISSING: invalid('a given etcd or kube-apiserver binary is not executable'),
  APFBENCH_BUILD_FAILED: environment('building etcd and kube-apiserver from Go modules failed'),
  APFBENCH_CHECK_FAILED: {
    kind: 'check-failed',
    meaning: 'at least one budget or regression check broke',
  },
  APFBENCH_CLUSTER_RUNNING: invalid('a control plane already runs from that --dir'),
  APFBENCH_COMPARE_FAILED: environment('compare stopped before every run had finished'),
  APFBENCH_COMPARISON_SCHEMA_VERSION: invalid(
    'comparison.json was written by an apfbench with another schemaVersion',
  ),
  APFBENCH_DOCKER_MISSING: environment('--provider kind needs docker, which is not on PATH'),
  APFBENCH_DOCKER_UNAVAILABLE: environment('docker is installed but its daemon does not answer'),
  APFBENCH_DUPLICATE_PROFILE: invalid('compare was given the same profile twice'),
  APFBENCH_EXEC_CREDENTIAL: environment('a kubeconfig exec credential plugin failed'),
  APFBENCH_FAULTS_NEED_LOCAL: invalid(
    'the scenario has spec.faults, which only a control plane apfbench starts can take, and --kubeconfig names another cluster',
  ),
  APFBENCH_FIXTURE_FAILED: environment('creating a fixture object on the cluster failed'),
  APFBENCH_FLAGS_NEED_LOCAL: invalid(
    '--apiserver-arg was given for a cluster apfbench did not start',
  ),
  APFBENCH_GO_MISSING: environment('building the control plane needs go, which is not on PATH'),
  APFBENCH_IN_CLUSTER: invalid(
    'no in-cluster config: KUBERNETES_SERVICE_HOST/PORT unset, or no service account token mounted',
  ),
  APFBENCH_INTERRUPTED: {
    kind: 'interrupted',
    meaning: 'Ctrl-C (SIGINT), SIGTERM or SIGHUP (a closed terminal) stopped the command',
  },
  APFBENCH_INVALID_AUDIT_POLICY: invalid(
    'an audit policy file cannot be read or is not an audit.k8s.io/v1 Policy',
  ),
  APFBENCH_INVALID_BUDGET: invalid('a budget file or spec.budgets has problems'),
  APFBENCH_INVALID_IDENTITIES: invalid('the identities file is missing or has problems'),
  APFBENCH_INVALID_KUBECONFIG: invalid(
    'the kubeconfig is missing or has problems, or names an exec plugin that cannot be run',
  ),
  APFBENCH_INVALID_PROFILE: invalid('a profile file has problems'),
  APFBENCH_INVALID_RESULT: invalid('a result.json given to check is missing or not valid'),
  APFBENCH_INVALID_SCENARIO: invalid('a scenario file has problems'),
  APFBENCH_INVALID_SPACE: invalid('a tune space file has problems'),
  APFBENCH_KIND_FAILED: environment('kind create cluster failed'),
  APFBENCH_KIND_MISSING: environment('--provider kind needs kind, which is not on PATH'),
  APFBENCH_KUBE_API: environment('an API request that setup cannot do without failed'),
  APFBENCH_METRICS_INTERVAL: invalid('the /metrics sampling interval is under its minimum'),
  APFBENCH_METRICS_LISTEN: environment(
    "--metrics-addr could not be bound (the port is in use, or the address is not this machine's)",
  ),
  APFBENCH_METRICS_PARSE: environment("the server's /metrics text is malformed"),
  APFBENCH_METRICS_SCRAPE: environment('GET /metrics failed or did not answer 200'),
  APFBENCH_NO_BUDGETS: invalid('check has no budgets: no --budget and none in the scenario'),
  APFBENCH_NO_CANDIDATE: invalid('check was given no candidate result'),
  APFBENCH_NO_CERTIFICATE: invalid(
    'a group has auth: certificate, but the identities file has no client certificate for its user',
  ),
  APFBENCH_NO_CLUSTER: invalid('no control plane state in that --dir'),
  APFBENCH_NO_KUBECONFIG: invalid(
    'the command needs a cluster: --kubeconfig FILE, or KUBECONFIG or ~/.kube/config naming one',
  ),
  APFBENCH_NO_PROFILES: invalid('compare needs at least one --profile'),
  APFBENCH_NO_SNAPSHOT: invalid('profile restore found no snapshot to restore'),
  APFBENCH_PNG_UNAVAILABLE: environment(
    'PNG export could not load @napi-rs/canvas (none built for this platform) or its font file',
  ),
  APFBENCH_PORT_IN_USE: environment('a port the local control plane needs is already in use'),
  APFBENCH_PROCESS_EXITED: environment('etcd or kube-apiserver exited during start-up'),
  APFBENCH_PROFILE_APPLY: environment('the server refused a change while applying a profile'),
  APFBENCH_PROFILE_DANGLING: invalid(
    'a flow schema names a priority level neither the profile nor the server has',
  ),
  APFBENCH_PROFILE_NEEDS_FLAGS: invalid(
    'the profile sets kube-apiserver flags on a cluster apfbench did not start',
  ),
  APFBENCH_PROFILE_NOT_IN_EFFECT: environment(
    'an applied profile did not take effect on the server in time',
  ),
  APFBENCH_PROFILE_REJECTED: invalid('the server refused the profile in a dry run'),
  APFBENCH_READY_TIMEOUT: environment(
    'etcd or kube-apiserver was not ready within --ready-timeout',
  ),
  APFBENCH_REMOTE_METRICS: invalid(
    '--metrics-addr is not a loopback address, so the live metrics are not served',
  ),
  APFBENCH_REMOTE_LISTEN: invalid(
    'the coordinator would listen for agents on a non-loopback address without --allow-remote',
  ),
  APFBENCH_REMOTE_TARGET: invalid('the target is not a loopback address, so no load is sent'),
  APFBENCH_REPORT_INPUT_INVALID: invalid(
    'the file given to report is not a valid result, comparison or sweep',
  ),
  APFBENCH_REPORT_INPUT_NOT_FOUND: invalid('the file given to report does not exist'),
  APFBENCH_RESULT_SCHEMA_VERSION: invalid(
    'result.json was written by an apfbench with another schemaVersion',
  ),
  APFBENCH_RUN_FAILED: environment('the run failed; its partial result.json is still written'),
  APFBENCH_RESULT_FALLBACK: environment(
    'the output directory could not take result.json; it was written to the temp directory named',
  ),
  APFBENCH_TARGET_UNREACHABLE: environment(
    'more than 5 % of sends got no HTTP response (status degraded); --allow-errors accepts it',
  ),
  APFBENCH_SWEEP_FAILED: environment('sweep stopped before every level had run'),
  APFBENCH_TUNE_FAILED: environment('tune stopped before every planned run had finished'),
  APFBENCH_TUNE_NO_WINNER: {
    kind: 'check-failed',
    meaning: 'tune ran its candidates and none met every budget',
  },
  APFBENCH_SWEEP_SCHEMA_VERSION: invalid(
    'sweep.json was written by an apfbench with another schemaVersion',
  ),
  APFBENCH_SNAPSHOT_SERVER: invalid('the snapshot was taken on another API server'),
  APFBENCH_SPAWN_FAILED: environment('etcd or kube-apiserver could not be started'),
  APFBENCH_TARGET_UNRESOLVED: invalid("the target's host name does not resolve"),
  APFBENCH_TOO_MANY_WORKERS: invalid(
    "the scenario's spec.workers is over 4 per CPU of this machine, and no --workers replaces it",
  ),
  APFBENCH_UNKNOWN_METRIC: invalid('a budget names a metric the results do not have'),
  APFBENCH_WEBHOOK_FAILED: environment(
    'serving or registering a webhook of spec.webhooks failed; nothing of it is left on the cluster',
  ),
  APFBENCH_WEBHOOK_NOT_LOCAL: invalid(
    'spec.webhooks needs an API server on this machine, which calls them on loopback',
  ),
  APFBENCH_WEBHOOK_RESOURCE: invalid(
    'a webhook of spec.webhooks names a resource, API group or version the server does not serve',
  ),
} as const satisfies Record<`APFBENCH_${string}`, ErrorCodeEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The kind a code always has; an ApfbenchError of that code takes it unless told another. */
export type KindOf<C extends ErrorCode> = (typeof ERROR_CODES)[C]['kind'];

/** The codes of input that apfbench refuses (exit 2), such as a file with located problems. */
export type InvalidInputCode = {
  [C in ErrorCode]: KindOf<C> extends 'invalid-input' ? C : never;
}[ErrorCode];

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}
