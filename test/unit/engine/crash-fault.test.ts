import { expect, it } from 'vitest';
import { crashFaultFor } from '../../../src/engine/crash-fault.js';

it.each([
  { value: undefined, worker: 0, fault: undefined },
  { value: '', worker: 0, fault: undefined },
  { value: '1:2500', worker: 1, fault: { afterMs: 2500, how: 'throw' } },
  { value: '1:2500', worker: 0, fault: undefined },
  { value: '0:0:exit', worker: 0, fault: { afterMs: 0, how: 'exit' } },
])('$value asks worker $worker for $fault', ({ value, worker, fault }) => {
  expect(crashFaultFor(value, worker)).toEqual(fault);
});

it.each(['1', '1:', 'a:100', '1:100:kill', '-1:100', '1:1.5'])(
  'refuses %j rather than crash nothing',
  (value) => {
    expect(() => crashFaultFor(value, 1)).toThrow(
      `APFBENCH_TEST_CRASH_WORKER must be <worker index>:<ms>[:exit] (got ${value})`,
    );
  },
);
