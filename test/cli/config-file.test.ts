/** The saved login: where it lives, how it is written (0700/0600, atomically), and when it is refused. */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../src/cli/cli-errors.js';
import { configFilePath, deleteSavedLogin, readSavedLogin, writeSavedLogin } from '../../src/cli/config-file.js';

const LOGIN = { url: 'http://127.0.0.1:8080', client_id: 'tessera-admin', client_secret: 'a-secret-of-some-length' };

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-cli-config-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('configFilePath', () => {
  test('TESSERA_CLI_CONFIG wins, then XDG_CONFIG_HOME, then ~/.config', () => {
    expect(configFilePath({ TESSERA_CLI_CONFIG: '/x/login.json', XDG_CONFIG_HOME: '/xdg' }, 'linux', '/home/a')).toBe('/x/login.json');
    expect(configFilePath({ XDG_CONFIG_HOME: '/xdg' }, 'linux', '/home/a')).toBe('/xdg/tessera/config.json');
    expect(configFilePath({}, 'linux', '/home/a')).toBe('/home/a/.config/tessera/config.json');
    expect(configFilePath({}, 'darwin', '/Users/a')).toBe('/Users/a/.config/tessera/config.json');
  });

  test('a relative XDG_CONFIG_HOME is ignored, as the XDG spec says', () => {
    expect(configFilePath({ XDG_CONFIG_HOME: 'relative/dir' }, 'linux', '/home/a')).toBe('/home/a/.config/tessera/config.json');
  });

  test('on Windows it is under %APPDATA%', () => {
    const p = configFilePath({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32', 'C:\\Users\\a');
    expect(p.endsWith(path.join('tessera', 'config.json'))).toBe(true);
    expect(p.startsWith('C:\\Users\\a\\AppData\\Roaming')).toBe(true);
  });
});

describe('writeSavedLogin and readSavedLogin', () => {
  test('creates the directory 0700 and the file 0600, leaving no temporary file', async () => {
    const file = path.join(dir, 'new', 'tessera', 'config.json');
    await writeSavedLogin(file, LOGIN);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(path.dirname(file))).toEqual(['config.json']);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(LOGIN);
    expect(await readSavedLogin(file)).toEqual(LOGIN);
  });

  test('replaces an existing login, and a replaced file that was wider becomes 0600', async () => {
    const file = path.join(dir, 'config.json');
    await writeFile(file, '{}', { mode: 0o644 });
    await writeSavedLogin(file, { ...LOGIN, client_id: 'other' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readSavedLogin(file))?.client_id).toBe('other');
  });

  test('an existing directory keeps its mode (TESSERA_CLI_CONFIG may point anywhere)', async () => {
    await chmod(dir, 0o755);
    await writeSavedLogin(path.join(dir, 'config.json'), LOGIN);
    expect((await stat(dir)).mode & 0o777).toBe(0o755);
  });

  test('no file is no login', async () => {
    expect(await readSavedLogin(path.join(dir, 'none.json'))).toBeUndefined();
  });

  test('a file group or others can read is refused with what to do, like ssh refuses such a key', async () => {
    const file = path.join(dir, 'config.json');
    await writeSavedLogin(file, LOGIN);
    for (const mode of [0o640, 0o604, 0o660]) {
      await chmod(file, mode);
      const e = await readSavedLogin(file).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UsageError);
      expect((e as Error).message).toContain(`(mode 0${mode.toString(8)})`);
      expect((e as Error).message).toContain(`chmod 600 ${file}`);
    }
  });

  test('a file that is not a login (not JSON, missing fields, a directory) is refused', async () => {
    const file = path.join(dir, 'config.json');
    for (const content of ['not json', '{"url":"http://x"}', '[]']) {
      await writeFile(file, content, { mode: 0o600 });
      await expect(readSavedLogin(file)).rejects.toThrow(/is not a tessera login file/);
    }
    await mkdir(path.join(dir, 'adir.json'), { mode: 0o700 });
    await expect(readSavedLogin(path.join(dir, 'adir.json'))).rejects.toThrow(/is not a tessera login file/);
  });

  test('deleteSavedLogin removes it and says whether there was one', async () => {
    const file = path.join(dir, 'config.json');
    await writeSavedLogin(file, LOGIN);
    expect(await deleteSavedLogin(file)).toBe(true);
    expect(await deleteSavedLogin(file)).toBe(false);
    expect(await readSavedLogin(file)).toBeUndefined();
  });
});
