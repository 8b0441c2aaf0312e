import { describe, expect, it } from 'vitest';
import { DEBIAN_CHROMIUM, chooseChromium } from '../../support/browser.js';

describe('chooseChromium', () => {
  it.each([
    ['unset, Debian installed', undefined, true, { kind: 'path', path: DEBIAN_CHROMIUM }],
    ['unset, no Debian Chromium', undefined, false, { kind: 'npm' }],
    ['empty, Debian installed', '', true, { kind: 'path', path: DEBIAN_CHROMIUM }],
    ['npm, Debian installed', 'npm', true, { kind: 'npm' }],
    [
      'a path, Debian installed',
      '/opt/chrome/chrome',
      true,
      { kind: 'path', path: '/opt/chrome/chrome' },
    ],
    [
      'a path, no Debian Chromium',
      '/opt/chrome/chrome',
      false,
      { kind: 'path', path: '/opt/chrome/chrome' },
    ],
  ] as const)('APFBENCH_CHROMIUM %s', (_, setting, debianInstalled, choice) => {
    expect(chooseChromium(setting, debianInstalled)).toEqual(choice);
  });
});
