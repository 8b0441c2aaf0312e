// Parsers for the unit-carrying scalars of scenario files. Each returns the value in the
// model's unit (milliseconds, per second, bytes) or a message saying what was expected;
// range limits (> 0, <= 1Mi, ...) belong to the fields, not to these parsers.

export type UnitResult = { ok: true; value: number } | { ok: false; message: string };

const MS_PER_UNIT = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
export const DURATION_PATTERN = /^(?:\d+(?:ms|s|m|h))+$/;
const DURATION_PART = /(\d+)(ms|s|m|h)/g;

export const DURATION_EXAMPLES = 'such as 500ms, 30s, 2m, 1h or 1m30s';

/** Parses "500ms", "30s", "2m", "1h" or a sum such as "1m30s" into milliseconds. */
export function parseDuration(text: string): UnitResult {
  if (!DURATION_PATTERN.test(text))
    return { ok: false, message: `must be a duration ${DURATION_EXAMPLES}` };
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) {
    ms += Number(amount) * MS_PER_UNIT[unit as keyof typeof MS_PER_UNIT];
  }
  return { ok: true, value: ms };
}

const SECONDS_PER_UNIT = { s: 1, m: 60, h: 3_600 } as const;
export const RATE_PATTERN = /^([+-]?\d+(?:\.\d+)?)(?:\/(s|m|h))?$/;

export const RATE_EXAMPLES = 'such as 200/s, 12/m, 3/h, or a number meaning per second';

/** Parses "200/s", "12/m", "3/h" or a plain number (per second) into a per-second rate. */
export function parseRate(input: string | number): UnitResult {
  if (typeof input === 'number') {
    return Number.isFinite(input)
      ? { ok: true, value: input }
      : { ok: false, message: `must be a rate ${RATE_EXAMPLES}` };
  }
  const match = RATE_PATTERN.exec(input);
  if (!match) return { ok: false, message: `must be a rate ${RATE_EXAMPLES}` };
  const [, amount, unit = 's'] = match;
  return {
    ok: true,
    value: Number(amount) / SECONDS_PER_UNIT[unit as keyof typeof SECONDS_PER_UNIT],
  };
}

// Decimal suffixes are powers of 1000, binary ones powers of 1024, as in Kubernetes quantities.
const BYTES_PER_UNIT = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
} as const;
export const SIZE_PATTERN = /^(\d+)(k|M|G|Ki|Mi|Gi)?$/;

export const SIZE_EXAMPLES = 'such as 512, 4Ki, 1Mi, 10k or 2M';

/** Parses a whole number of bytes, optionally with a k, M, G, Ki, Mi or Gi suffix. */
export function parseSize(input: string | number): UnitResult {
  const match = SIZE_PATTERN.exec(String(input));
  if (!match) return { ok: false, message: `must be a size in bytes ${SIZE_EXAMPLES}` };
  const [, amount, unit = ''] = match;
  return { ok: true, value: Number(amount) * BYTES_PER_UNIT[unit as keyof typeof BYTES_PER_UNIT] };
}

/** Formats milliseconds back into the shortest duration text, for messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let text = '';
  for (const unit of ['h', 'm', 's', 'ms'] as const) {
    const amount = Math.floor(rest / MS_PER_UNIT[unit]);
    if (amount > 0) text += `${amount}${unit}`;
    rest -= amount * MS_PER_UNIT[unit];
  }
  return text;
}
