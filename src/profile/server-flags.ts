import { ApfbenchError } from '../errors.js';

/**
 * `key=value` (a leading `--` allowed), as --apiserver-arg takes it: returned as given, or an
 * invalid-input error naming the flag, so that a bad one is refused before anything starts.
 */
export function checkServerFlag(kv: string): string {
  const eq = kv.indexOf('=');
  if (eq > 0 && kv.slice(0, eq).replace(/^--/, '') !== '') return kv;
  throw new ApfbenchError(
    'APFBENCH_BAD_FLAG',
    `--apiserver-arg: must be key=value, such as max-requests-inflight=800 (got ${kv})`,
    { kind: 'invalid-input' },
  );
}

/** `--key=value` flags, later keys replacing earlier ones. */
export function mergeFlags(
  defaults: Record<string, string>,
  overrides: readonly string[],
): string[] {
  const flags = new Map(Object.entries(defaults));
  for (const kv of overrides) {
    const eq = kv.indexOf('=');
    const key = (eq < 0 ? kv : kv.slice(0, eq)).replace(/^--/, '');
    if (key === '') {
      throw new ApfbenchError(
        'APFBENCH_BAD_FLAG',
        `bad API-server flag "${kv}": expected key=value`,
        { kind: 'invalid-input' },
      );
    }
    flags.set(key, eq < 0 ? 'true' : kv.slice(eq + 1));
  }
  return [...flags].map(([k, v]) => `--${k}=${v}`);
}
