import { expect, it } from 'vitest';
import { measuredWindow } from '../../../src/engine/coordinator.js';

const start = Date.parse('2026-12-02T10:00:00.000Z');
const spec = { duration: 30_000, warmup: 5_000 };

it.each([
  { name: 'a run to its deadline: warm-up end to deadline', stop: undefined, to: '10:00:30.000' },
  { name: 'an early stop ends the window there', stop: start + 12_345, to: '10:00:12.345' },
  {
    name: 'a stop after the deadline (the drain) does not stretch it',
    stop: start + 40_000,
    to: '10:00:30.000',
  },
  { name: 'a stop in the warm-up leaves an empty window', stop: start + 2_000, to: '10:00:05.000' },
])('$name', ({ stop, to }) => {
  expect(measuredWindow(spec, start, stop)).toEqual({
    measuredFrom: '2026-12-02T10:00:05.000Z',
    measuredTo: `2026-12-02T${to}Z`,
  });
});
