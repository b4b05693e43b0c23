/**
 * The commands a process sends to Redis while something runs, as
 * [name, ...arguments as strings]: to check how many commands, and which,
 * a request costs (every ioredis command goes through sendCommand).
 */
import { jest } from '@jest/globals';
import { Redis } from 'ioredis';

export async function commandsOf<T>(run: () => Promise<T>): Promise<{ result: T; commands: string[][] }> {
  const sent = jest.spyOn(Redis.prototype, 'sendCommand');
  try {
    const result = await run();
    const commands = sent.mock.calls.map(([c]) => {
      const command = c as unknown as { name: string; args: unknown[] };
      return [command.name, ...command.args.map(String)];
    });
    return { result, commands };
  } finally {
    sent.mockRestore();
  }
}
