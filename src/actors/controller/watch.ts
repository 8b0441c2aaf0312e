import { resources } from '../../kube/index.js';
import { LedgerObserver, type RelistRange } from '../../metrics/write-ledger.js';
import { Informer } from '../informer.js';
import { epochOf, type ControllerContext } from './context.js';
import { ControllerMetric } from './metrics.js';

/** A controller instance's informer, whose events are matched in the write ledger. */
export interface LedgerWatch {
  readonly informer: Informer;
  /**
   * Matches the events still waiting for their write; `final` gives up on every one left and
   * counts the writes the informer's relists covered in the ledger.
   */
  poll(final: boolean): void;
}

/**
 * An informer on the instance's object set. Each MODIFIED event is matched with its write in the
 * ledger to record watch latency; an event whose write is not there yet waits for `poll`. The
 * resourceVersion ranges its relists skipped are kept (two strings per relist) and handed to the
 * ledger at the end, when every write they cover has been recorded.
 */
export function ledgerWatch(c: ControllerContext): LedgerWatch {
  const { ctx, group } = c;
  const observer = new LedgerObserver(c.ledger);
  const relisted: RelistRange[] = [];

  const recordMatch = (m: {
    receivedEpochMs: number;
    ackEpochMs: number;
    intendedEpochMs: number;
  }) => {
    // An event can come before its writer has read the write's response: over h2 the watch and
    // the write share the connection and the server may send the event first. It has no latency
    // from the acknowledgement: it is counted (beforeAck), not recorded as 0, which would pull
    // the figure down with events it does not describe. The latency from the intended write time
    // covers every delivery.
    const afterAck = m.receivedEpochMs - m.ackEpochMs;
    if (afterAck < 0) ctx.collector.count(ControllerMetric.beforeAck);
    else ctx.collector.observe(ControllerMetric.latency, afterAck * 1000);
    ctx.collector.observe(
      ControllerMetric.latencyFromIntent,
      Math.max(0, m.receivedEpochMs - m.intendedEpochMs) * 1000,
    );
  };

  const informer = new Informer(ctx, {
    resource: resources.configmaps,
    namespace: c.namespace,
    labelSelector: Object.entries(c.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    pageSize: group.pageSize,
    watchTimeoutMs: group.watchTimeout,
    retry: group.retry,
    onEvent: (ev) => {
      // Only updates are recorded in the ledger: the objects' creation precedes every LIST.
      if (ev.type !== 'MODIFIED') return;
      const rv = ev.object.metadata.resourceVersion ?? '';
      const { matched, gaveUp } = observer.receive(rv, epochOf(ev.receivedAt));
      if (matched !== undefined) recordMatch(matched);
      if (gaveUp > 0) ctx.collector.count(ControllerMetric.unmatched, gaveUp);
    },
    onRelist: (range) => relisted.push(range),
  });

  return {
    informer,
    poll(final) {
      if (final && relisted.length > 0) {
        c.ledger.cover(c.tag, c.place.set, relisted);
        relisted.length = 0;
      }
      if (observer.waiting === 0) return;
      const { matched, gaveUp } = observer.poll(epochOf(ctx.clock.now()), final);
      for (const m of matched) recordMatch(m);
      if (gaveUp > 0) ctx.collector.count(ControllerMetric.unmatched, gaveUp);
    },
  };
}
