import { createCanvas, loadImage } from '@napi-rs/canvas';

/** A decoded image: RGBA bytes, row by row. */
export interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** Decodes a PNG with @napi-rs/canvas, the library that drew it. */
export async function decodePng(png: Buffer): Promise<Pixels> {
  const image = await loadImage(png);
  const ctx = createCanvas(image.width, image.height).getContext('2d');
  ctx.drawImage(image, 0, 0);
  const { data } = ctx.getImageData(0, 0, image.width, image.height);
  return { width: image.width, height: image.height, data };
}

/** The variance of the pixels' luminance: near 0 for a blank image, large for lines and text. */
export function luminanceVariance({ data }: Pixels): number {
  let sum = 0;
  let sumSquares = 0;
  const n = data.length / 4;
  for (let i = 0; i < data.length; i += 4) {
    const luminance = 0.2126 * data[i]! + 0.7152 * data[i + 1]! + 0.0722 * data[i + 2]!;
    sum += luminance;
    sumSquares += luminance * luminance;
  }
  return sumSquares / n - (sum / n) ** 2;
}

/** The RGBA of the pixel at (x, y). */
export function pixelAt({ width, data }: Pixels, x: number, y: number): number[] {
  const i = 4 * (y * width + x);
  return [...data.subarray(i, i + 4)];
}
