import { readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';

/** PIDs of the processes whose command line mentions `text` (a control plane's directory, say). */
export function pidsMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Resolves once `pidsMentioning(text)` finds at least `count` processes, with their PIDs. */
export function waitForProcesses(text: string, count: number): Promise<number[]> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      const found = pidsMentioning(text);
      if (found.length < count) return;
      clearInterval(poll);
      resolve(found);
    }, 20);
    poll.unref();
  });
}

/** True when nothing listens on 127.0.0.1:port. */
export function portRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
}
