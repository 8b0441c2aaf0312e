import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateIdentities, readIdentitiesFile } from '../../../src/cluster/identities.js';

async function file(text: string | undefined): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'apfbench-identities-')), 'identities.json');
  if (text !== undefined) await writeFile(path, text);
  return path;
}

const written = generateIdentities({ nodes: 1, tenants: 1, serviceAccounts: 1 });

describe('readIdentitiesFile', () => {
  it('reads what cluster up writes', async () => {
    const path = await file(JSON.stringify(written, null, 2));
    expect(await readIdentitiesFile(path)).toEqual(written);
  });

  it('returns nothing for a missing file only when one is optional', async () => {
    const path = await file(undefined);
    expect(await readIdentitiesFile(path, true)).toBeUndefined();
    await expect(readIdentitiesFile(path)).rejects.toMatchObject({
      code: 'APFBENCH_INVALID_IDENTITIES',
      kind: 'invalid-input',
      message: `invalid identities file (1 problem):\n${path}: cannot read the file (ENOENT)`,
    });
  });

  it('refuses a file that is not JSON, even where one is optional', async () => {
    const path = await file('{ nodes: [');
    await expect(readIdentitiesFile(path, true)).rejects.toMatchObject({
      code: 'APFBENCH_INVALID_IDENTITIES',
      kind: 'invalid-input',
      message: expect.stringMatching(
        new RegExp(`^invalid identities file \\(1 problem\\):\n${path}: not JSON \\(`),
      ),
    });
  });

  it('refuses a file of the wrong shape, even where one is optional, locating each problem', async () => {
    const path = await file(
      JSON.stringify({ ...written, tenants: {}, components: [{ user: 'x', groups: [] }] }, null, 2),
    );
    const err = await readIdentitiesFile(path, true).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'APFBENCH_INVALID_IDENTITIES', kind: 'invalid-input' });
    expect((err as Error).message.split('\n').slice(1)).toEqual([
      expect.stringMatching(new RegExp(`^${path}:\\d+:\\d+ tenants: must be a list$`)),
      expect.stringMatching(
        new RegExp(`^${path}:\\d+:\\d+ components\\[0\\]\\.token: is required$`),
      ),
    ]);
  });
});
