import { readFileSync } from 'node:fs';
import type { ReportableResult } from '../../../src/report/sections.js';

/** A real result of `apfbench run scenarios/tenant-smoke.yaml --duration 5s`. */
export const fixturePath = new URL('../../fixtures/results/tenant-smoke.json', import.meta.url);

export function loadFixture(): ReportableResult {
  return JSON.parse(readFileSync(fixturePath, 'utf8')) as ReportableResult;
}
