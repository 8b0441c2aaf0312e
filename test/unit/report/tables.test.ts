import { describe, expect, it } from 'vitest';
import { buildRunReport } from '../../../src/report/model.js';
import { fairnessColumns, groupColumns, type TableLayout } from '../../../src/report/tables.js';
import { loadFixture } from './fixture.js';

const model = buildRunReport(loadFixture());

describe('groupColumns', () => {
  it.each<[TableLayout, boolean, string[]]>([
    [
      'page',
      false,
      [
        'Group',
        'Response codes',
        'Requests',
        'Rate',
        'p50',
        'p90',
        'p99',
        'p99.9',
        'max',
        'Dropped',
        'Retries',
        '429s',
        '409s',
        'Abandoned',
      ],
    ],
    [
      'summary',
      true,
      [
        'run',
        'group',
        'requests',
        'rate',
        'p50',
        'p99',
        'p99.9',
        'max',
        'dropped',
        '429s',
        '409s',
        'other errors',
        'abandoned',
      ],
    ],
  ])('%s layout (multi %s) has its columns, figures right-aligned', (layout, multi, heads) => {
    const columns = groupColumns(multi, layout);
    expect(columns.map((c) => c.head)).toEqual(heads);
    expect(columns.filter((c) => !c.numeric).map((c) => c.head.toLowerCase())).toEqual([
      ...(multi ? ['run'] : []),
      'group',
      ...(layout === 'page' ? ['response codes'] : []),
    ]);
  });

  it('formats each cell for people; the page names the group with its size and type', () => {
    const row = model.groups[0]!;
    const cells = (layout: TableLayout) =>
      Object.fromEntries(groupColumns(false, layout).map((c) => [c.head, c.cell(row)]));
    expect(cells('page')).toMatchObject({
      Group: 'tenant (1 × tenant)',
      'Response codes': '200: 919, 201: 81',
      Requests: '1,000',
      Rate: '200/s',
      p99: '45.4 ms',
    });
    expect(cells('summary')).toMatchObject({
      group: 'tenant',
      'other errors': '0',
      abandoned: '0',
    });
  });

  it('counts requests abandoned when the drain ended in a column of their own, not in errors', () => {
    // 30 not 2xx: 15 429s, 3 409s, 10 abandoned, 2 other errors.
    const abandoned = { ...model.groups[0]!, errors: 30, otherErrors: 2, abandoned: 10 };
    const cells = Object.fromEntries(
      groupColumns(false, 'summary').map((c) => [c.head, c.cell(abandoned)]),
    );
    expect(cells).toMatchObject({ 'other errors': '2', abandoned: '10' });
  });
});

describe('fairnessColumns', () => {
  it.each<[TableLayout, string[]]>([
    [
      'page',
      [
        'Run',
        'Priority level',
        'Flows',
        "Jain's index",
        'Seat share',
        'Nominal share',
        'Nominal seats',
        'Current seats',
      ],
    ],
    ['summary', ['run', 'priority level', 'flows', "Jain's index"]],
  ])('%s layout keeps the capital of a name', (layout, heads) => {
    expect(fairnessColumns(true, layout).map((c) => c.head)).toEqual(heads);
  });

  it.each([
    [{ nominalSeats: 3, currentSeats: { min: 3, max: 16 } }, ['3', '3–16']],
    [{ nominalSeats: 49, currentSeats: { min: 56, max: 56 } }, ['49', '56']],
    [{ nominalSeats: undefined, currentSeats: undefined }, ['–', '–']],
  ])('shows nominal seats and the range of current seats: %j', (seats, cells) => {
    const row = {
      run: 'r',
      priorityLevel: 'global-default',
      flows: 5,
      jainIndex: 1,
      seatShare: 0.5,
      nominalShare: 0.1,
      ...seats,
    };
    const columns = fairnessColumns(false, 'page');
    const cell = (head: string) => columns.find((c) => c.head === head)!.cell(row);
    expect([cell('Nominal seats'), cell('Current seats')]).toEqual(cells);
  });
});
