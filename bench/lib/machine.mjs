// The machine a run was taken on, printed with every table.
import os from 'node:os';
import { redisVersion } from './redis.mjs';

export async function machineInfo(redis) {
  return {
    cpu: os.cpus()[0]?.model?.trim() ?? 'unknown CPU',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    redis: await redisVersion(redis),
    date: new Date().toISOString(),
    loadStart: os.loadavg().map((l) => l.toFixed(2)).join(' '),
    loadEnd: null,
  };
}

export function loadNow() {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}
