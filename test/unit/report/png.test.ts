import { GlobalFonts } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { ApfbenchError } from '../../../src/errors.js';
import { buildRunReport } from '../../../src/report/model.js';
import {
  PNG_FONT_FAMILY,
  PNG_HEIGHT,
  PNG_WIDTH,
  loadChartRenderer,
  renderPngs,
} from '../../../src/report/png.js';
import { decodePng, luminanceVariance, pixelAt, type Pixels } from '../../support/png.js';
import { loadFixture } from './fixture.js';

describe('loadChartRenderer', () => {
  it.each([
    ['@napi-rs/canvas', "Cannot find module '@napi-rs/canvas-linux-x64-gnu'"],
    ['chart.js', "Cannot find package 'chart.js'"],
  ])('says how to get PNGs, or skip them, when %s cannot be loaded', async (broken, message) => {
    const importer = (specifier: string) =>
      specifier === broken ? Promise.reject(new Error(message)) : import(specifier);
    const err = await loadChartRenderer(importer).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApfbenchError);
    expect(err).toMatchObject({ code: 'APFBENCH_PNG_UNAVAILABLE', kind: 'environment' });
    expect((err as ApfbenchError).message).toContain(message);
    expect((err as ApfbenchError).hint).toContain('npm ci --include=optional');
    expect((err as ApfbenchError).hint).toContain('--no-png');
  });

  it('registers the bundled font, so that PNGs have text on a machine without fonts', async () => {
    await loadChartRenderer();
    expect(GlobalFonts.has(PNG_FONT_FAMILY)).toBe(true);
  });
});

/** Whether any pixel of the rectangle is darker than mid-grey. */
function hasInk(image: Pixels, x0: number, y0: number, x1: number, y1: number): boolean {
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) if (pixelAt(image, x, y)[0]! < 128) return true;
  return false;
}

describe('renderPngs', () => {
  it('draws each chart on white at PNG_WIDTH × PNG_HEIGHT, with its lines and title', async () => {
    const { charts } = buildRunReport(loadFixture());
    const pngs = await renderPngs(charts);
    expect(pngs.map((p) => p.file)).toEqual(charts.map((c) => `${c.id}.png`));
    for (const { file, png } of pngs) {
      const image = await decodePng(png);
      expect([image.width, image.height], file).toEqual([PNG_WIDTH, PNG_HEIGHT]);
      expect(pixelAt(image, 0, 0), file).toEqual([255, 255, 255, 255]);
      expect(luminanceVariance(image), file).toBeGreaterThan(100);
      // The title, centred above the plot.
      expect(hasInk(image, PNG_WIDTH / 2 - 50, 0, PNG_WIDTH / 2 + 50, 30), file).toBe(true);
    }
  });
});
