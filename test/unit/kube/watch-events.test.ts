import { Readable } from 'node:stream';
import { expect, it } from 'vitest';
import { readEvents } from '../../../src/kube/watch.js';

it('decodes watch events whose characters and lines are split across chunks', async () => {
  const lines = [
    { type: 'ADDED', object: { metadata: { name: 'cm-ü', annotations: { note: 'née 日本' } } } },
    { type: 'MODIFIED', object: { metadata: { name: 'cm-2' } } },
  ]
    .map((e) => `${JSON.stringify(e)}\n`)
    .join('');
  const bytes = Buffer.from(lines, 'utf8');
  // Split inside every multi-byte character: one byte at a time.
  const body = Readable.from([...bytes].map((b) => Buffer.from([b])));
  const events = [];
  for await (const ev of readEvents(body, () => {})) events.push(ev);
  expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
    ['ADDED', 'cm-ü'],
    ['MODIFIED', 'cm-2'],
  ]);
  expect(events[0]!.object.metadata.annotations).toEqual({ note: 'née 日本' });
  expect(events.every((e) => e.receivedAt > 0)).toBe(true);
});
