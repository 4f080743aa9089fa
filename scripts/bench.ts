/**
 * `npm run bench`: Pulseboard's hub against a Socket.IO baseline and a raw `ws` floor, over
 * real loopback sockets, the server in its own process pinned to one core, the subscribers
 * in other processes on the other cores. Prints a table and writes
 * `bench-results/bench-<timestamp>.json`. See docs/benchmarks.md.
 *
 *   npm run bench                      full run: 5,000 subscribers, 1,000 updates/s, 20 s
 *   npm run bench -- --quick           200 subscribers, 3 s each (a harness check, about 30 s)
 *   npm run bench -- --subscribers 2000 --seconds 10 --rate 500 --only fanout,floor
 *   npm run bench -- --only fanout --profile     CPU profile of the publishing phase
 *   npm run bench -- --only fanout,presence   fan-out with presence (every subscriber watching, viewers churning) beside without
 *   npm run bench -- --only fanout,viewport,paced   a bounds box per subscriber, and half the subscribers
 *                                      paced at 1 s, beside plain fan-out (add --profile for the
 *                                      share of hub time spent deciding visibility; add floor,floor-paced
 *                                      for the same paced frames from the raw ws floor)
 *   npm run bench -- --repeat 3 ...    every workload three times, in turn; ratios and targets
 *                                      from the median of the rounds (a noisy machine)
 *   npm run bench -- --engine redis [--instances 2]   fan-out on the Redis engine beside the
 *                                      memory engine, plus the most publishes one channel takes
 *   npm run bench -- --only fanout,series   fan-out with series of the channel's field beside without,
 *                                      plus publish cost, bytes per point and a dashboard's snapshot
 *                                      with series (add redis,redis-series with --engine redis)
 *
 * Exit code 0 when the harness worked, whatever the figures; 1 when it broke (a process
 * crashed, subscribers could not connect, completeness could not be measured); 2 for bad
 * arguments or a machine that cannot run the requested size.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { profileLines, summarizeProfile } from './bench/profile';
import { ceilingLines, checkTargets, medianRatios, ratioLines, ratios, seriesLines, seriesTargetChecks, table, targetLines, type SeriesFigures } from './bench/report';
import { publishCeiling, redisSeriesFigures, startBenchRedis, type BenchRedis, type PublishCeiling } from './bench/redis';
import { Child } from './bench/ipc';
import { runWorkload, type WorkloadResult } from './bench/run';
import { describeMachine, placeProcesses } from './bench/system';
import { DASHBOARD_SERIES, makeWorkload, WORKLOAD_NAMES, type WorkloadName } from './bench/workload';

/** Run order: the fan-out comparison first, back to back, then the other Pulseboard shapes. */
const RUN_ORDER: WorkloadName[] = ['fanout', 'series', 'redis', 'redis-series', 'presence', 'viewport', 'paced', 'floor', 'floor-paced', 'socketio', 'filtered', 'channels'];
/**
 * What runs without --only: the memory engine's comparison and shapes, or with --engine redis
 * the fan-out on both engines. Presence, viewport, paced and the series workloads are asked for by name: each would
 * add a full workload's time to every default run, the harness check included.
 */
const DEFAULT_RUN: Record<'memory' | 'redis', WorkloadName[]> = { memory: ['fanout', 'floor', 'socketio', 'filtered', 'channels'], redis: ['fanout', 'redis'] };

const USAGE = `usage: npm run bench -- [--quick] [--subscribers N] [--seconds S] [--rate R]
                        [--only ${WORKLOAD_NAMES.join(',')}] [--clients K] [--concurrency C]
                        [--batch-ms MS] [--profile | --cpu-prof] [--out DIR]
                        [--engine memory|redis] [--instances N] [--repeat N]`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) fail(`--${name} must be a positive number\n${USAGE}`);
  return n;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        subscribers: { type: 'string' },
        seconds: { type: 'string' },
        rate: { type: 'string' },
        only: { type: 'string' },
        clients: { type: 'string' },
        concurrency: { type: 'string' },
        'batch-ms': { type: 'string' },
        profile: { type: 'boolean', default: false },
        'cpu-prof': { type: 'boolean', default: false },
        out: { type: 'string', default: 'bench-results' },
        engine: { type: 'string', default: 'memory' },
        instances: { type: 'string' },
        repeat: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    }).values;
  } catch (error) {
    fail(`${error instanceof Error ? error.message : error}\n${USAGE}`);
  }
  if (parsed.help) {
    console.log(USAGE);
    return;
  }
  const quick = parsed.quick;
  const subscribers = Math.round(positive('subscribers', parsed.subscribers, quick ? 200 : 5000));
  const seconds = positive('seconds', parsed.seconds, quick ? 3 : 20);
  const rate = positive('rate', parsed.rate, 1000);
  const machine = describeMachine();
  // Two subscriber processes per subscriber core (at least 2, at most 4): more processes on
  // one core only add context switches.
  const clients = Math.round(positive('clients', parsed.clients, Math.min(4, Math.max(2, 2 * (machine.cpus - 1)))));
  const concurrency = Math.round(positive('concurrency', parsed.concurrency, 50));
  const batchMs = Math.round(positive('batch-ms', parsed['batch-ms'], 100));
  const engine = parsed.engine;
  if (engine !== 'memory' && engine !== 'redis') fail(`--engine must be memory or redis\n${USAGE}`);
  const instances = Math.round(positive('instances', parsed.instances, 1));
  const repeat = Math.round(positive('repeat', parsed.repeat, 1));
  const only = (parsed.only ?? DEFAULT_RUN[engine].join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of only) if (!WORKLOAD_NAMES.includes(name as WorkloadName)) fail(`--only: unknown workload '${name}' (${WORKLOAD_NAMES.join(', ')})`);
  if (parsed.profile && parsed['cpu-prof']) fail('--profile and --cpu-prof are exclusive');
  const outDir = resolve(parsed.out);
  const profile = parsed.profile || parsed['cpu-prof'] ? { dir: join(outDir, 'profiles'), mode: parsed.profile ? ('window' as const) : ('process' as const) } : undefined;

  let placement;
  try {
    placement = placeProcesses(machine, subscribers, clients);
  } catch (error) {
    fail(`cannot run: ${error instanceof Error ? error.message : error}`);
  }
  const startedAt = new Date();
  const t0 = Date.now();
  const log = (line: string) => console.error(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}`);
  log(`${machine.cpus} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}`);
  log(
    `open files: soft ${machine.openFiles?.soft ?? '?'}, hard ${machine.openFiles?.hard ?? '?'}; ` +
      (placement.serverCpus ? `server on cpu ${placement.serverCpus}, ${placement.clientProcesses} subscriber processes on cpu ${placement.clientCpus}` : 'no pinning'),
  );
  for (const note of placement.notes) log(`note: ${note}`);

  const rounds: WorkloadResult[][] = [];
  const errors: Array<{ workload: string; error: string }> = [];
  let redis: BenchRedis | undefined;
  let ceiling: PublishCeiling | undefined;
  const withSeries = only.includes('series') || only.includes('redis-series');
  if (only.includes('redis') || only.includes('redis-series')) {
    redis = await startBenchRedis(placement.clientCpus);
    log(`redis-server pid ${redis.server.pid} on ${redis.server.url}${placement.clientCpus ? ` on cpu ${placement.clientCpus}` : ''}`);
  }
  for (let round = 1; round <= repeat; round++) {
    const results: WorkloadResult[] = [];
    for (const name of RUN_ORDER.filter((n) => only.includes(n))) {
      const workload = makeWorkload(name, { subscribers, seconds, rate, batchMs, redisUrl: redis?.server.url, instances });
      log(`— ${workload.label}: ${subscribers} subscribers, ${rate} updates/s, ${seconds} s${repeat > 1 ? ` (round ${round} of ${repeat})` : ''}`);
      try {
        const result = await runWorkload(workload, { placement, concurrency, settleMs: quick ? 300 : 1000, profile, redis: redis?.probe, log: (line) => log(`  ${line}`) });
        results.push(result);
        log(`  done: ${result.completeness.toFixed(2)}% delivered, p99 ${result.latencyMs.p99.toFixed(1)} ms, ${result.cpuSeconds.toFixed(2)} CPU-s`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        errors.push({ workload: name, error: message });
        log(`  FAILED: ${message}`);
      }
    }
    rounds.push(results);
  }
  // The last round's results stand for the run; with several rounds, ratios are their medians.
  const results = rounds[rounds.length - 1];

  const series: SeriesFigures = {};
  if (withSeries) {
    // Measured apart from fan-out, in a process of its own on the server's core.
    const probe = new Child({ script: 'series-probe.ts', name: 'series probe', cpus: placement.serverCpus, nodeArgs: ['--expose-gc'] });
    try {
      log('— series: publish cost, bytes per point, a dashboard snapshot with series');
      series.publishCost = await probe.call('publishCost', { publishes: quick ? 2000 : 10_000, rounds: 3 }, 300_000);
      series.memory = await probe.call('memory', { records: 500 }, 120_000);
      series.snapshot = await probe.call('snapshot', { reads: quick ? 20 : 100 }, 300_000);
      if (redis) series.redis = await redisSeriesFigures(redis, DASHBOARD_SERIES, quick ? 1000 : 5000);
      log('  done');
    } catch (error) {
      errors.push({ workload: 'series probe', error: error instanceof Error ? error.message : String(error) });
    } finally {
      await probe.stop();
    }
  }

  if (redis && only.includes('redis')) {
    try {
      log('— most publishes one channel takes on Redis (engine alone, 64 in flight)');
      ceiling = await publishCeiling(redis, quick ? 1 : 5);
      log(`  ${Math.round(ceiling.publishesPerSec)} publishes/s, redis-server at ${(ceiling.redisCoreShare * 100).toFixed(0)}% of a core`);
    } catch (error) {
      errors.push({ workload: 'redis ceiling', error: error instanceof Error ? error.message : String(error) });
    }
  }
  await redis?.close();

  const roundRatios = rounds.map(ratios);
  const r = medianRatios(roundRatios);
  const checks = [...checkTargets(results, r), ...seriesTargetChecks(series)];
  console.log('');
  console.log(`Pulseboard benchmark, ${startedAt.toISOString()}: ${subscribers} subscribers, ${rate} updates/s for ${seconds} s, ${batchMs} ms batches`);
  console.log(`${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}; server pinned to cpu ${placement.serverCpus ?? '(none)'}`);
  console.log('');
  for (const [i, each] of rounds.entries()) {
    if (rounds.length > 1) console.log(`Round ${i + 1} of ${rounds.length}:`);
    if (each.length) console.log(`${table(each)}\n`);
  }
  if (rounds.length > 1) {
    for (const [i, each] of roundRatios.entries()) console.log([`Ratios, round ${i + 1}:`, ...ratioLines(each), ''].join('\n'));
  }
  const ratioText = ratioLines(r);
  if (ratioText.length) console.log([rounds.length > 1 ? `Ratios (fan-out), median of ${rounds.length} rounds:` : 'Ratios (fan-out):', ...ratioText].join('\n'));
  if (checks.length) console.log(['', 'Targets (fan-out):', ...targetLines(checks, subscribers)].join('\n'));
  if (ceiling) console.log(['', 'Redis engine, one channel:', ...ceilingLines(ceiling)].join('\n'));
  const seriesText = seriesLines(series);
  if (seriesText.length) console.log(['', 'Series (apart from fan-out):', ...seriesText].join('\n'));
  // Other processes (or other guests, as steal time) on the server's core: more than 5% of
  // the window means the figures are not the server's alone, latency above all.
  const interference = (x: WorkloadResult) => (x.otherLoadOnServerCore ?? 0) + (x.stealOnServerCore ?? 0);
  const busy = rounds.flat().filter((x) => interference(x) > 0.05 * x.windowSeconds);
  if (busy.length) {
    console.log(
      `\nNote: other processes or guests used the server's core during ${busy.map((x) => `${x.name} (${interference(x).toFixed(1)} of ${x.windowSeconds.toFixed(1)} s)`).join(', ')}; ` +
        'the server waited for its core (run-queue rows), which inflates latency and can hold subscribers back.',
    );
  }
  for (const result of rounds.flat()) {
    if (result.incomplete.length) console.log(['', `Incomplete subscribers in ${result.name} (first few):`, ...result.incomplete.map((l) => `  ${l}`)].join('\n'));
  }
  const profiles: Record<string, unknown> = {};
  for (const result of rounds.flat()) {
    if (!result.profile) continue;
    try {
      const summary = summarizeProfile(result.profile);
      profiles[result.name] = summary;
      console.log(['', `Server CPU profile, ${result.name} (${result.profile}):`, ...profileLines(summary)].join('\n'));
    } catch (error) {
      console.log(`\nprofile of ${result.name} could not be read: ${error instanceof Error ? error.message : error}`);
    }
  }
  for (const e of errors) console.log(`\nHARNESS ERROR in ${e.workload}: ${e.error}`);

  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: startedAt.toISOString(),
        command,
        machine,
        placement,
        options: { subscribers, seconds, rate, batchMs, clients, concurrency, only, engine, instances, repeat },
        results,
        ratios: r,
        targets: checks,
        ...(rounds.length > 1 ? { rounds: rounds.map((each, i) => ({ results: each, ratios: roundRatios[i] })) } : {}),
        ceiling,
        series,
        profiles,
        errors,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`\nJSON: ${file}`);
  process.exitCode = errors.length ? 1 : 0;
}

main().catch((error) => fail(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`, 1));
