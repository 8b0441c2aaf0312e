import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  access,
  constants,
  mkdir,
  readFile,
  readdir,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApfbenchError } from '../errors.js';

export interface ControlPlaneBinaries {
  readonly apiserver: string;
  readonly etcd: string;
  /** Where they came from, for status output and result.json. */
  readonly source: 'flags' | 'KUBEBUILDER_ASSETS' | 'cache' | 'built';
}

export interface BinaryOptions {
  readonly apiserverBin?: string | undefined;
  readonly etcdBin?: string | undefined;
  /** Progress lines for a build that takes minutes. */
  readonly onProgress?: ((line: string) => void) | undefined;
  /** Packages of a build compiled so far, of how many (`go build -v` against `go list -deps`). */
  readonly onBuildCount?: ((done: number, total: number) => void) | undefined;
  readonly env?: NodeJS.ProcessEnv;
}

/** The Go module that builds kube-apiserver and etcd (two levels above src/cluster or dist/cluster). */
export const controlPlaneModuleDir = fileURLToPath(
  new URL('../../hack/control-plane/', import.meta.url),
);

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.APFBENCH_CACHE_DIR) return env.APFBENCH_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'apfbench');
}

/** The pinned versions, read from go.mod so that there is one place to change them. */
export async function pinnedVersions(): Promise<{ kubernetes: string; etcd: string }> {
  const gomod = await readFile(join(controlPlaneModuleDir, 'go.mod'), 'utf8');
  const version = (mod: string) => {
    const m = new RegExp(`^\\s*${mod.replace(/[./]/g, '\\$&')}\\s+(v\\S+)`, 'm').exec(gomod);
    if (m?.[1] === undefined)
      throw new ApfbenchError('APFBENCH_BAD_GOMOD', `${mod} is not required in go.mod`, {
        kind: 'internal',
      });
    return m[1];
  };
  return { kubernetes: version('k8s.io/kubernetes'), etcd: version('go.etcd.io/etcd/server/v3') };
}

/** -ldflags that make `/version` report the pinned release, as the release build does. */
function ldflags(kubernetes: string): string {
  const [major, minor] = kubernetes.replace(/^v/, '').split('.');
  const p = 'k8s.io/component-base/version';
  return [
    '-s -w',
    `-X ${p}.gitVersion=${kubernetes}`,
    `-X ${p}.gitMajor=${major}`,
    `-X ${p}.gitMinor=${minor}`,
    `-X ${p}.gitTreeState=clean`,
    `-X ${p}.buildDate=1970-01-01T00:00:00Z`,
  ].join(' ');
}

async function goVersion(env: NodeJS.ProcessEnv): Promise<string> {
  try {
    return (await run('go', ['env', 'GOVERSION'], { env })).trim();
  } catch (cause) {
    throw new ApfbenchError(
      'APFBENCH_GO_MISSING',
      'Go is needed to build kube-apiserver and etcd, and `go` was not found',
      {
        cause,
        hint:
          'install Go >= 1.26 (Debian: a go toolchain from go.dev/dl, or `apt-get install golang-1.26`), ' +
          'or point apfbench at existing binaries with --apiserver-bin/--etcd-bin or KUBEBUILDER_ASSETS',
      },
    );
  }
}

/** The files a build reads from the module: go.mod, go.sum and the Go sources (not the tests). */
async function moduleSources(): Promise<string[]> {
  const sources = (await readdir(controlPlaneModuleDir, { recursive: true }))
    .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go'))
    .sort();
  return ['go.mod', 'go.sum', ...sources];
}

/** Cache key: the module files, the build flags and the Go toolchain. */
async function buildKey(
  env: NodeJS.ProcessEnv,
): Promise<{ dir: string; go: string; flags: string }> {
  const { kubernetes, etcd } = await pinnedVersions();
  const go = await goVersion(env);
  const flags = ldflags(kubernetes);
  const hash = createHash('sha256').update(go).update(flags);
  for (const f of await moduleSources()) {
    hash.update(f).update(await readFile(join(controlPlaneModuleDir, f)));
  }
  const name = `kubernetes-${kubernetes}-etcd-${etcd}-${hash.digest('hex').slice(0, 12)}`;
  return { dir: join(cacheRoot(env), 'control-plane', name), go, flags };
}

const exists = (p: string, mode = constants.X_OK) =>
  access(p, mode).then(
    () => true,
    () => false,
  );

/**
 * Builds kube-apiserver and etcd from the pinned Go modules into the cache,
 * unless that exact build is already there (then this is a no-op).
 */
export async function buildControlPlane(
  opts: BinaryOptions = {},
): Promise<ControlPlaneBinaries & { dir: string }> {
  const env = opts.env ?? process.env;
  const { dir, go, flags } = await buildKey(env);
  const binaries = { apiserver: join(dir, 'kube-apiserver'), etcd: join(dir, 'etcd'), dir };
  const cached = async () =>
    (await exists(join(dir, 'build.json'), constants.F_OK)) &&
    (await exists(binaries.apiserver)) &&
    (await exists(binaries.etcd));
  if (await cached()) return { ...binaries, source: 'cache' };
  const say = opts.onProgress ?? (() => {});
  const release = await takeBuildLock(`${dir}.lock`, say);
  try {
    // Another process may have finished this very build while this one waited for it.
    if (await cached()) return { ...binaries, source: 'cache' };
    return await buildInto(dir, binaries, go, flags, opts);
  } finally {
    await release();
  }
}

/**
 * One build of a given key at a time across processes (two test runs, or `cluster build` beside
 * `run`, would otherwise compile the same thousands of packages twice over): an exclusive lock
 * file holding the builder's pid. A lock whose process is gone is stale and taken over.
 */
export async function takeBuildLock(
  path: string,
  say: (line: string) => void,
  pollMs = 2000,
): Promise<() => Promise<void>> {
  await mkdir(join(path, '..'), { recursive: true });
  let told = false;
  for (;;) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx' });
      return () => rm(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(holder) || holder <= 0 || !processAlive(holder)) {
      await rm(path, { force: true });
      continue;
    }
    if (!told) say(`waiting for the build another process (pid ${holder}) is running`);
    told = true;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function buildInto(
  dir: string,
  binaries: { apiserver: string; etcd: string; dir: string },
  go: string,
  flags: string,
  opts: BinaryOptions,
): Promise<ControlPlaneBinaries & { dir: string }> {
  const env = opts.env ?? process.env;
  const say = opts.onProgress ?? (() => {});
  const { kubernetes, etcd } = await pinnedVersions();
  say(
    `building kube-apiserver ${kubernetes} and etcd ${etcd} with ${go} into ${dir} (a few minutes the first time)`,
  );
  const staging = `${dir}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  const started = Date.now();
  const ticker = setInterval(
    () => say(`  still building (${Math.round((Date.now() - started) / 1000)}s)`),
    30_000,
  );
  try {
    const targets = ['./cmd/kube-apiserver', './cmd/etcd'];
    const goOpts = {
      cwd: controlPlaneModuleDir,
      env: { ...env, CGO_ENABLED: '0', GOFLAGS: '-mod=readonly' },
    };
    const counted = opts.onBuildCount === undefined ? undefined : packageCounter(opts.onBuildCount);
    // The packages to compile, for a count with an ETA; this also downloads the modules.
    if (counted !== undefined) {
      const listed = await run('go', ['list', '-deps', ...targets], goOpts);
      counted.total = listed.split('\n').filter(isPackageLine).length;
      counted.report();
    }
    await run(
      'go',
      [
        'build',
        ...(counted === undefined ? [] : ['-v']),
        '-trimpath',
        '-ldflags',
        flags,
        '-o',
        staging + '/',
        ...targets,
      ],
      {
        ...goOpts,
        onLine: (line) => {
          if (counted?.isPackage(line) !== true) say(`  ${line}`);
        },
      },
    );
    counted?.finish();
  } catch (cause) {
    await rm(staging, { recursive: true, force: true });
    throw new ApfbenchError('APFBENCH_BUILD_FAILED', 'building the control plane failed', {
      cause,
      hint: 'see the go output above; a network failure while downloading modules is worth one retry',
    });
  } finally {
    clearInterval(ticker);
  }
  const seconds = (Date.now() - started) / 1000;
  await writeFile(
    join(staging, 'build.json'),
    JSON.stringify({ kubernetes, etcd, go, seconds, builtAt: new Date().toISOString() }, null, 2),
  );
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir);
  say(`built in ${seconds.toFixed(0)}s`);
  return { ...binaries, source: 'built' };
}

/**
 * Finds the binaries: explicit paths first, then KUBEBUILDER_ASSETS (as
 * envtest lays them out), then the cache, building it when missing.
 */
export async function resolveBinaries(opts: BinaryOptions = {}): Promise<ControlPlaneBinaries> {
  const env = opts.env ?? process.env;
  const assets = env.KUBEBUILDER_ASSETS;
  let apiserver = opts.apiserverBin;
  let etcd = opts.etcdBin;
  let source: ControlPlaneBinaries['source'] = 'flags';
  if ((apiserver === undefined || etcd === undefined) && assets) {
    apiserver ??= join(assets, 'kube-apiserver');
    etcd ??= join(assets, 'etcd');
    source = 'KUBEBUILDER_ASSETS';
  }
  if (apiserver === undefined || etcd === undefined) {
    const built = await buildControlPlane(opts);
    apiserver ??= built.apiserver;
    etcd ??= built.etcd;
    source = built.source;
  }
  for (const [name, path] of [
    ['kube-apiserver', apiserver],
    ['etcd', etcd],
  ] as const) {
    if (!(await exists(path))) {
      throw new ApfbenchError(
        'APFBENCH_BINARY_MISSING',
        `${name} binary not found or not executable: ${path}`,
        {
          kind: 'invalid-input',
          hint:
            source === 'KUBEBUILDER_ASSETS'
              ? 'check KUBEBUILDER_ASSETS'
              : `check the --${name === 'etcd' ? 'etcd' : 'apiserver'}-bin path`,
        },
      );
    }
  }
  return { apiserver, etcd, source };
}

/** A line of `go list` or `go build -v` that names a package (`go: downloading …` does not). */
const isPackageLine = (line: string) => line.trim() !== '' && !/\s/.test(line.trim());

/**
 * Counts `go build -v`'s lines, one package path each (anything with a space, such as `go:
 * downloading …`, is not one), against the total that `go list -deps` gave. Packages found in
 * Go's build cache are not printed, so the count may end short of the total: `finish` says done.
 */
export function packageCounter(onCount: (done: number, total: number) => void) {
  let done = 0;
  const counter = {
    total: 0,
    report: () => onCount(Math.min(done, counter.total - 1), counter.total),
    isPackage(line: string): boolean {
      if (!isPackageLine(line)) return false;
      done++;
      if (counter.total > 0) counter.report();
      return true;
    },
    finish: () => onCount(counter.total, counter.total),
  };
  return counter;
}

/** Lists cached builds (for `cluster build --list` and cleanup). */
export async function cachedBuilds(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  try {
    return (await readdir(join(cacheRoot(env), 'control-plane'))).filter(
      (n) => !n.includes('.tmp-') && !n.endsWith('.lock'),
    );
  } catch {
    return [];
  }
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env: NodeJS.ProcessEnv; onLine?: (line: string) => void },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let tail = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      out += text;
      tail = (tail + text).slice(-4000);
      if (opts.onLine)
        for (const line of text.split('\n')) if (line.trim() !== '') opts.onLine(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${cmd} ${args[0]} exited with ${code}:\n${tail}`)),
    );
  });
}
