/** A rotation reloads its keys before the next queued rotation may rewrite them. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DirKeyStorage, type KeyStorage } from '../../../src/core/keys/key-storage.js';
import type { KeyManager } from '../../../src/core/keys/key-manager.js';
import { openManager } from './helpers.js';

let dir: string;
let manager: KeyManager | undefined;
beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-rotate-reload-')); });
afterEach(async () => {
  await manager?.close();
  manager = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A keys dir whose reads take a while and which notes every write made while a read is in flight. */
class SlowReadStorage extends DirKeyStorage implements KeyStorage {
  reading = 0;
  writesDuringRead = 0;
  override async read() {
    this.reading++;
    try {
      await new Promise((r) => setTimeout(r, 15));
      return await super.read();
    } finally {
      this.reading--;
    }
  }
  override async write(...args: Parameters<DirKeyStorage['write']>) {
    if (this.reading > 0) this.writesDuringRead++;
    return super.write(...args);
  }
}

test('rotations sent at once each succeed, and none rewrites the keys while another reloads them', async () => {
  const storage = new SlowReadStorage(dir, undefined);
  manager = await openManager(dir, { storage });
  const results = await Promise.allSettled(Array.from({ length: 8 }, () => manager!.rotate()));
  expect(results.map((r) => r.status)).toEqual(Array(8).fill('fulfilled'));
  expect(storage.writesDuringRead).toBe(0);
  // Eight rotations, eight keys activated in turn; the manager signs with the one that is active now.
  const kids = results.map((r) => (r as PromiseFulfilledResult<{ active: string }>).value.active);
  expect(new Set(kids).size).toBe(8);
  const active = (await storage.read()).filter((e) => e.file.state === 'active').map((e) => e.file.kid);
  expect(active).toEqual([manager.signingKey().kid]);
  expect(kids).toContain(manager.signingKey().kid);
});
