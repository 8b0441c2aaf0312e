import { describe, expect, it } from 'vitest';
import { faultColumns, type FaultRow } from '../../../src/report/faults.js';

const lostCell = (row: Pick<FaultRow, 'watchLost' | 'watchCoveredByRelist'>) =>
  faultColumns(false)
    .find((c) => c.head === 'Watch events lost')!
    .cell(row as FaultRow);

describe("the faults table's watch column", () => {
  it('shows the lost events, and those a relist covered beside them when any', () => {
    expect(lostCell({ watchLost: 0, watchCoveredByRelist: 12 })).toBe('0 (12 covered by relist)');
    expect(lostCell({ watchLost: 3, watchCoveredByRelist: undefined })).toBe('3');
    expect(lostCell({ watchLost: undefined, watchCoveredByRelist: undefined })).toBe('–');
  });
});
