// Command-line options of `npm run bench -- [options]`.
export const SCENARIO_NAMES = ['cc', 'refresh', 'exchange', 'introspect', 'introspect-jwt', 'jwks', 'verify'];
export const PHASES = ['rate', 'memory', 'scale', 'auth', 'durable'];

export const USAGE = `npm run bench -- [options]
  --duration S      seconds of load per round and contender (default 5)
  --warmup S        seconds of discarded load per contender before round 1 (default 2)
  --rounds N        rounds; each round runs every contender of every scenario once (default 3)
  --connections N   concurrent connections of the load generator (default 50)
  --rate N          requests per second of the open-loop (fixed-rate) client_credentials phase (default 1000)
  --workers N       TESSERA_WORKERS of the Tessera under load (default 1: one process, like the peer)
  --quick           smoke run: 2 s rounds, 1 round, 1 s warm-up, 10k tokens for memory, scale at 50k,
                    200 revocations per durable-write round
  --only LIST       comma-separated: ${[...SCENARIO_NAMES, ...PHASES].join(', ')}
  --no-memory       skip the Redis memory measurement
  --no-scale        skip the 1M-token scale measurement
  --no-auth         skip the cost of logins and client authentications
  --no-rate         skip the fixed-rate (open-loop) latency phase
  --no-durable      skip the cost of WAIT (a revocation acknowledged by a replica, or not)
  --durable-n N     revocations per round, setting and concurrency in that measurement (default 500)
  --auth-n N        logins and client authentications of each kind for that measurement (default 30)
  --scale-n N       refresh tokens and revoked ids seeded for the scale measurement (default 1000000)
  --memory-n N      tokens of each kind for the memory measurement (default 100000)
  --json [FILE]     also write the results as JSON (default file .bench/results-<time>.json)
  --profile         instead of comparing: profile Tessera (node --cpu-prof) under the cc, refresh
                    and exchange loads (or --only), write .bench/profiles/*.cpuprofile, print the top 25
  --help`;

export function parseOptions(argv) {
  const o = {
    duration: 5, warmup: 2, rounds: 3, connections: 50, rate: 1000, workers: 1, quick: false, only: null,
    memory: true, scale: true, auth: true, fixedRate: true, durable: true, durableN: 500, authN: 30, scaleN: 1_000_000, memoryN: 100_000, json: null, profile: false, help: false,
  };
  const num = (i, name) => {
    const v = Number(argv[i]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--duration': o.duration = num(++i, a); break;
      case '--warmup': o.warmup = Number(argv[++i]); break;
      case '--rounds': o.rounds = Math.round(num(++i, a)); break;
      case '--connections': o.connections = Math.round(num(++i, a)); break;
      case '--scale-n': o.scaleN = Math.round(num(++i, a)); break;
      case '--rate': o.rate = Math.round(num(++i, a)); break;
      case '--workers': o.workers = Math.round(num(++i, a)); break;
      case '--durable-n': o.durableN = Math.round(num(++i, a)); break;
      case '--no-rate': o.fixedRate = false; break;
      case '--no-durable': o.durable = false; break;
      case '--memory-n': o.memoryN = Math.round(num(++i, a)); break;
      case '--no-memory': o.memory = false; break;
      case '--no-scale': o.scale = false; break;
      case '--no-auth': o.auth = false; break;
      case '--auth-n': o.authN = Math.round(num(++i, a)); break;
      case '--scale': o.scale = true; break;
      case '--profile': o.profile = true; break;
      case '--help': case '-h': o.help = true; break;
      case '--quick':
        Object.assign(o, { quick: true, duration: 2, warmup: 1, rounds: 1, memoryN: 10_000, scaleN: 50_000, authN: 10, durableN: 200 });
        break;
      case '--only': {
        const list = String(argv[++i] ?? '').split(',').filter(Boolean);
        for (const s of list) if (![...SCENARIO_NAMES, ...PHASES].includes(s)) throw new Error(`--only: unknown "${s}"`);
        o.only = list;
        break;
      }
      case '--json':
        o.json = argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : true;
        break;
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  if (o.warmup < 0 || !Number.isFinite(o.warmup)) throw new Error('--warmup needs a number of seconds');
  return o;
}

/** The scenarios and phases this run does. */
export function selected(o) {
  const only = o.only;
  const scenarios = SCENARIO_NAMES.filter((s) => !only || only.includes(s));
  return {
    scenarios: o.profile ? scenarios.filter((s) => (only ? true : ['cc', 'refresh', 'exchange'].includes(s))) : scenarios,
    memory: !o.profile && o.memory && (!only || only.includes('memory')),
    scale: !o.profile && o.scale && (!only || only.includes('scale')),
    auth: !o.profile && o.auth && (!only || only.includes('auth')),
    rate: !o.profile && o.fixedRate && (!only || only.includes('rate')),
    durable: !o.profile && o.durable && (!only || only.includes('durable')),
  };
}
