import { MemoryStore } from '../../src/store/memory-store.js';
import { UserService } from '../../src/core/users/user-service.js';
import { LoginFailedError, LoginService } from '../../src/core/users/login.js';
import { cheapHasher } from '../support/passwords.js';

const policy = { threshold: 3, ipThreshold: 5, basePauseMs: 1_000, maxPauseMs: 60_000, windowMs: 600_000 };

async function setup() {
  let now = 1_000_000;
  const store = new MemoryStore({ now: () => now });
  const hasher = cheapHasher();
  const users = new UserService(store, hasher, () => now);
  await users.create({ username: 'alice', password: 'alice-password' });
  await users.create({ username: 'bob', password: 'bob-password' });
  const login = new LoginService(store, hasher, { policy, now: () => now });
  return { login, advance: (ms: number) => { now += ms; } };
}

const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as LoginFailedError);

test('the right password logs in; failures reset for the username on success', async () => {
  const { login } = await setup();
  await expect(refusal(login.authenticate('alice', 'wrong-password', 'ip1'))).resolves.toBeInstanceOf(LoginFailedError);
  await expect(login.authenticate('alice', 'alice-password', 'ip1')).resolves.toMatchObject({ username: 'alice' });
});

test('past the username threshold the login pauses, doubling with each failure, then opens again', async () => {
  const { login, advance } = await setup();
  for (let i = 0; i < 3; i++) await refusal(login.authenticate('alice', 'wrong', `ip${i}`));
  const paused = await refusal(login.authenticate('alice', 'alice-password', 'ip9'));
  expect(paused?.retryAfterSeconds).toBe(1);
  advance(1_000);
  await refusal(login.authenticate('alice', 'wrong', 'ip9'));
  expect((await refusal(login.authenticate('alice', 'alice-password', 'ip9')))?.retryAfterSeconds).toBe(2);
  advance(2_000);
  await expect(login.authenticate('alice', 'alice-password', 'ip9')).resolves.toMatchObject({ username: 'alice' });
});

test('the IP threshold is separate and higher: other users on the same address are not locked out early', async () => {
  const { login } = await setup();
  for (let i = 0; i < 4; i++) await refusal(login.authenticate(`ghost${i}`, 'x', 'shared'));
  await expect(login.authenticate('bob', 'bob-password', 'shared')).resolves.toMatchObject({ username: 'bob' });
  await refusal(login.authenticate('ghost9', 'x', 'shared'));
  expect((await refusal(login.authenticate('bob', 'bob-password', 'shared')))?.retryAfterSeconds).toBeGreaterThan(0);
});

test('an unknown user and a wrong password fail with the same message', async () => {
  const { login } = await setup();
  const a = await refusal(login.authenticate('nobody', 'x', 'ip'));
  const b = await refusal(login.authenticate('alice', 'x', 'ip'));
  expect(a?.message).toBe(b?.message);
});
