/**
 * The configuration file (docs/configuration.md): sections, validation with one line naming
 * the file, the entry and the field, environment variables in string values, merging with
 * PULSE_SOURCES, the series lookup's precedence, and the published JSON Schema.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoChannels } from '@/lib/demo/series';
import { NO_SERIES, seriesLookup, type ChannelDeclaration } from '@/lib/engine/series-spec';
import { ConfigFileError, loadConfigFile, loadServerConfiguration, parseConfigFile, resolveVariables } from '@/lib/server/config-file';
import { CONFIG_JSON_SCHEMA_PATH, configJsonSchemaText } from '@/lib/server/config-schema';
import { SourcesConfigError } from '@/lib/sources/declared';

const ROOT = join(__dirname, '../..');
const FILE = 'pulse.config.json';
const series = { fields: ['waiting'], resolutionMs: 1000, windowMs: 60_000 };
const http = { name: 'gdp', kind: 'http', channel: 'countries', url: 'http://example.test/api' };
const mqtt = { name: 'nodes', kind: 'mqtt', channel: 'nodes', url: 'mqtt://broker.test', topics: [{ topic: 'nodes/{id}/position' }] };
const postgres = { name: 'orders', kind: 'postgres', channel: 'orders', connectionString: 'postgres://u@db/x', table: 'orders' };

/** The one-line message parsing `input` fails with. */
function refusal(input: unknown, env: Record<string, string> = {}): string {
  try {
    parseConfigFile(input, FILE, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigFileError);
    const { message } = error as Error;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pulse-config-'));
}

function writeJson(dir: string, name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

describe('a valid file', () => {
  it('reads sources and channels with defaults filled in', () => {
    const { sources, channels } = parseConfigFile(
      {
        $schema: '../docs/pulse.config.schema.json',
        sources: [http, mqtt, postgres],
        channels: [
          { channel: 'kpi', tenant: 'acme', series },
          { channel: 'fleet:*', series: { fields: ['speed', 'battery'] } },
        ],
      },
      FILE,
    );
    expect(sources.map((s) => s.kind)).toEqual(['http', 'mqtt', 'postgres']);
    expect(sources[0]).toMatchObject({ tenant: 'demo', intervalMs: 5000 });
    expect(channels).toEqual([
      { channel: 'kpi', tenant: 'acme', series },
      { channel: 'fleet:*', series: { fields: ['speed', 'battery'], resolutionMs: 1000, windowMs: 900_000 } },
    ]);
  });

  it('may be empty, or have one section only', () => {
    expect(parseConfigFile({}, FILE)).toEqual({ sources: [], channels: [] });
    expect(parseConfigFile({ channels: [{ channel: 'kpi', series }] }, FILE).sources).toEqual([]);
  });

  it('accepts the bounds exactly: 100 ms buckets, 10,000 buckets in a window', () => {
    const { channels } = parseConfigFile({ channels: [{ channel: 'kpi', series: { fields: ['a'], resolutionMs: 100, windowMs: 1_000_000 } }] }, FILE);
    expect(channels[0].series).toEqual({ fields: ['a'], resolutionMs: 100, windowMs: 1_000_000 });
  });

  it('accepts the example the repository ships, with its variables set', () => {
    const env = { COUNTRIES_API_TOKEN: 't0ken', MQTT_PASSWORD: 'pw', ORDERS_DATABASE_URL: 'postgres://pulseboard:pw@localhost:5432/shop' };
    const { sources, channels } = loadConfigFile(join(ROOT, 'examples/pulse.config.json'), env);
    expect(sources.map((s) => s.name)).toEqual(['countries', 'fleet-devices', 'orders']);
    expect(sources[0]).toMatchObject({ headers: { authorization: 'Bearer t0ken' } });
    expect(channels.length).toBeGreaterThan(0);
  });
});

describe('every mistake names the file, the entry and the field', () => {
  it.each([
    ['a bucket narrower than 100 ms', { channels: [{ channel: 'a', series }, { channel: 'b', series }, { channel: 'kpi', series: { ...series, resolutionMs: 50 } }] }, 'pulse.config.json: channels[2] (kpi): series.resolutionMs: must be at least 100'],
    ['a fractional bucket', { channels: [{ channel: 'kpi', series: { ...series, resolutionMs: 250.5 } }] }, 'channels[0] (kpi): series.resolutionMs: must be a whole number of milliseconds'],
    ['more than 10,000 buckets', { channels: [{ channel: 'kpi', series: { ...series, resolutionMs: 100, windowMs: 1_000_100 } }] }, 'channels[0] (kpi): series.windowMs: must be at most 10000 buckets: 1000000 at resolutionMs 100'],
    ['a window that is no multiple of the bucket', { channels: [{ channel: 'kpi', series: { ...series, windowMs: 1500 } }] }, 'channels[0] (kpi): series.windowMs: must be a multiple of resolutionMs (1000)'],
    ['a window shorter than a bucket', { channels: [{ channel: 'kpi', series: { ...series, windowMs: 500 } }] }, 'channels[0] (kpi): series.windowMs: must be at least resolutionMs (1000)'],
    ['no fields', { channels: [{ channel: 'kpi', series: { fields: [] } }] }, 'channels[0] (kpi): series.fields: must name at least one field'],
    ['a field named twice', { channels: [{ channel: 'kpi', series: { fields: ['a', 'b', 'a'] } }] }, 'channels[0] (kpi): series.fields[2]: repeats fields[0]'],
    ['an unknown field in series', { channels: [{ channel: 'kpi', series: { ...series, window: 5 } }] }, 'channels[0] (kpi): series: unknown field "window"'],
    ['an unknown field in an entry (a typo of a required one)', { channels: [{ channel: 'kpi', serie: series }] }, 'channels[0] (kpi): unknown field "serie"'],
    ['no series', { channels: [{ channel: 'kpi' }] }, 'channels[0] (kpi): series: is required'],
    ['a bad channel pattern', { channels: [{ channel: 'fleet/*', series }] }, 'channels[0] (fleet/*): channel: must be a channel name or a pattern'],
    ['a bad tenant', { channels: [{ channel: 'kpi', tenant: 'a b', series }] }, 'channels[0] (kpi): tenant: must match'],
    ['an entry without a channel', { channels: [{ series }] }, 'pulse.config.json: channels[0]: channel: is required'],
    ['the same channel twice for every tenant', { channels: [{ channel: 'kpi', series }, { channel: 'kpi', series }] }, 'channels[1] (kpi): channel: declared twice for every tenant (first at channels[0])'],
    ['the same channel twice for one tenant', { channels: [{ channel: 'kpi', tenant: 't', series }, { channel: 'kpi', series }, { channel: 'kpi', tenant: 't', series }] }, 'channels[2] (kpi): channel: declared twice for this tenant (first at channels[0])'],
    ['a section that is no list', { channels: { kpi: series } }, 'pulse.config.json: channels: Invalid input: expected array'],
    ['a source of an unknown kind', { sources: [{ ...http, kind: 'ftp' }] }, 'pulse.config.json: sources[0] (gdp): kind: must be "http", "mqtt" or "postgres"'],
    ['a source with a typo', { sources: [http, { ...postgres, tabel: 'x' }] }, 'pulse.config.json: sources[1] (orders): unknown field "tabel"'],
    ['a source rule without percent or points', { sources: [{ ...http, alerts: [{ field: 'gdp', type: 'a' }] }] }, 'sources[0] (gdp): alerts[0]: needs exactly one of percent or points'],
    ['a bad nested source field', { sources: [{ ...mqtt, topics: [{ topic: 'a', as: 'row' }] }] }, 'sources[0] (nodes): topics[0].as: Invalid option'],
    ['a source name used twice', { sources: [mqtt, http, mqtt] }, 'sources[2] (nodes): name: used twice (first at sources[0])'],
    ['a source without a name', { sources: [{ kind: 'http' }] }, 'pulse.config.json: sources[0]: name: is required'],
  ])('%s', (_, input, message) => {
    expect(refusal(input)).toContain(message);
  });

  it('refuses unknown top-level keys by name, and a file that is no object', () => {
    expect(refusal({ sources: [], dashboard: [] })).toBe('pulse.config.json: unknown section "dashboard" (a configuration file has sources, channels, dashboards and $schema)');
    expect(refusal({ source: [], channel: [] })).toMatch(/^pulse\.config\.json: unknown sections "source", "channel" /);
    expect(refusal([])).toBe('pulse.config.json: must be a JSON object with sections sources, channels, dashboards');
  });

  it('names the file when it cannot be read or is not JSON, without quoting it', () => {
    const dir = tempDir();
    expect(() => loadConfigFile(join(dir, 'missing.json'))).toThrow(/^PULSE_CONFIG: cannot read .*missing\.json \(ENOENT\)$/);
    writeFileSync(join(dir, 'bad.json'), '{\n  "sources": [],\n  "channels": [ { "password": "hunter2" } }\n}');
    const error = (() => {
      try {
        loadConfigFile(join(dir, 'bad.json'));
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(error).toMatch(/^PULSE_CONFIG: .*bad\.json is not valid JSON \(.* at line 3, column \d+\)$/);
    expect(error).not.toContain('hunter2');
  });

  it('reads a file saved with a byte order mark', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bom.json'), `\uFEFF${JSON.stringify({ channels: [{ channel: 'kpi', series }] })}`);
    expect(loadConfigFile(join(dir, 'bom.json')).channels).toHaveLength(1);
  });
});

describe('environment variables in string values', () => {
  it('resolves ${NAME} whole or inside a string, and $${ as a literal ${', () => {
    const env = { MQTT_PASSWORD: 's3cret', PG_PASSWORD: 'pg-pw', TENANT: 'acme' };
    const { sources, channels } = parseConfigFile(
      {
        sources: [
          { ...mqtt, password: '${MQTT_PASSWORD}', username: 'user-$${NOT_A_VARIABLE}' },
          { ...postgres, connectionString: 'postgres://pulse:${PG_PASSWORD}@db/${TENANT}' },
        ],
        channels: [{ channel: 'kpi', tenant: '${TENANT}', series }],
      },
      FILE,
      env,
    );
    expect(sources[0]).toMatchObject({ password: 's3cret', username: 'user-${NOT_A_VARIABLE}' });
    expect(sources[1]).toMatchObject({ connectionString: 'postgres://pulse:pg-pw@db/acme' });
    expect(channels[0].tenant).toBe('acme');
  });

  it('stops on a missing or empty variable, naming it, the entry and the field', () => {
    const input = { sources: [http, { ...mqtt, password: '${MQTT_PASSWORD}' }] };
    expect(refusal(input)).toBe('pulse.config.json: sources[1] (nodes): password: environment variable MQTT_PASSWORD is not set');
    expect(refusal(input, { MQTT_PASSWORD: '' })).toContain('environment variable MQTT_PASSWORD is not set');
    expect(refusal({ sources: [{ ...http, headers: { authorization: 'Bearer ${TOKEN}' } }] })).toBe(
      'pulse.config.json: sources[0] (gdp): headers.authorization: environment variable TOKEN is not set',
    );
  });

  it('refuses a reference that is no variable name, or not closed', () => {
    expect(refusal({ sources: [{ ...mqtt, password: '${1PASSWORD}' }] })).toContain('sources[0] (nodes): password: "${1PASSWORD}" is not a variable name');
    expect(refusal({ sources: [{ ...mqtt, password: '${PASSWORD' }] })).toContain('sources[0] (nodes): password: has "${" without a closing "}"');
  });

  it('never shows a resolved value: a wrong one is named by its variable, an entry by what the file says', () => {
    const secret = 'mysql://admin:correct-horse-battery@db/x';
    const message = refusal({ sources: [{ ...postgres, name: '${SOURCE_NAME}', connectionString: '${DATABASE_URL}' }] }, { DATABASE_URL: secret, SOURCE_NAME: 'secret-name' });
    expect(message).toBe('pulse.config.json: sources[0] (${SOURCE_NAME}): connectionString: must be a postgres:// URL (the value of ${DATABASE_URL})');
    expect(message).not.toContain('correct-horse-battery');
    expect(message).not.toContain('secret-name');
    const url = refusal({ sources: [{ ...mqtt, url: 'mqtt://${BROKER_HOST}:1883 ${BROKER_NOTE}' }] }, { BROKER_HOST: 'b.internal', BROKER_NOTE: 'hidden-note' });
    expect(url).toMatch(/url: .* \(the value of \$\{BROKER_HOST\}, \$\{BROKER_NOTE\}\)$/);
    expect(url).not.toContain('hidden-note');
  });

  it('leaves keys, numbers and strings without references alone, and keeps "__proto__" a key', () => {
    const input = JSON.parse('{"a": {"__proto__": "${X}", "${X}": 1, "n": 5, "s": "plain $ {X}"}}');
    const { value, references } = resolveVariables(input, { X: 'x' });
    expect(value).toEqual(JSON.parse('{"a": {"__proto__": "x", "${X}": 1, "n": 5, "s": "plain $ {X}"}}'));
    expect(Object.getPrototypeOf((value as { a: object }).a)).toBe(Object.prototype);
    expect([...references.values()]).toEqual([['X']]);
  });

  it('takes only the variables themselves, not what objects inherit', () => {
    expect(resolveVariables({ a: '${constructor}' }, {}).problem).toEqual({ path: ['a'], message: 'environment variable constructor is not set' });
  });
});

describe('the server configuration: environment, PULSE_CONFIG and PULSE_SOURCES', () => {
  const quiet = { PULSE_LOG_LEVEL: 'silent' };

  it('without files: no sources, the simulator and the demo series', () => {
    const { config, sources, channels, series: lookup } = loadServerConfiguration({ ...quiet });
    expect({ simulator: config.simulator, sources, channels }).toEqual({ simulator: true, sources: [], channels: [] });
    expect(lookup.seriesFor('demo', 'kpi')).toEqual({ fields: ['utilization', 'healthScore', 'slaRisk'], resolutionMs: 1000, windowMs: 900_000 });
    expect(lookup.seriesFor('demo', 'backlog')).toEqual({ fields: ['waiting', 'oldestWaitS'], resolutionMs: 1000, windowMs: 900_000 });
    expect(lookup.seriesFor('other', 'kpi')).toBeUndefined();
    expect(lookup.seriesFor('demo', 'fleet')).toBeUndefined();
  });

  it('PULSE_SOURCES still works alone, with its own messages, and resolves variables too', () => {
    const dir = tempDir();
    const path = writeJson(dir, 'sources.json', { sources: [{ ...mqtt, password: '${MQTT_PASSWORD}' }] });
    const loaded = loadServerConfiguration({ ...quiet, PULSE_SOURCES: path, MQTT_PASSWORD: 'pw' });
    expect(loaded.sources).toMatchObject([{ name: 'nodes', password: 'pw' }]);
    expect(loaded.config.simulator).toBe(false);
    expect(loaded.series.seriesFor('demo', 'kpi')).toBeUndefined();
    expect(() => loadServerConfiguration({ ...quiet, PULSE_SOURCES: path })).toThrow(`${path}: source "nodes": password: environment variable MQTT_PASSWORD is not set`);
    const typo = writeJson(dir, 'typo.json', { sources: [{ ...postgres, tabel: 'x' }] });
    expect(() => loadServerConfiguration({ ...quiet, PULSE_SOURCES: typo })).toThrow(SourcesConfigError);
    expect(() => loadServerConfiguration({ ...quiet, PULSE_SOURCES: typo })).toThrow(`${typo}: source "orders": unknown field "tabel"`);
  });

  it('with both set, runs the sources of both; a name in both stops the start naming both files', () => {
    const dir = tempDir();
    const configPath = writeJson(dir, 'pulse.config.json', { sources: [http], channels: [{ channel: 'countries', series }] });
    const sourcesPath = writeJson(dir, 'sources.json', { sources: [mqtt] });
    const loaded = loadServerConfiguration({ ...quiet, PULSE_CONFIG: configPath, PULSE_SOURCES: sourcesPath });
    expect(loaded.sources.map((s) => s.name)).toEqual(['gdp', 'nodes']);
    expect(loaded.series.seriesFor('demo', 'countries')).toEqual(series);

    const clash = writeJson(dir, 'clash.json', { sources: [mqtt, http] });
    expect(() => loadServerConfiguration({ ...quiet, PULSE_CONFIG: configPath, PULSE_SOURCES: clash })).toThrow(
      `${clash}: source "gdp": name is used twice (also ${configPath}: sources[0])`,
    );
  });

  it('turns the simulator off when the file declares sources, unless asked for; channels alone leave it on', () => {
    const dir = tempDir();
    const withSources = writeJson(dir, 'a.json', { sources: [http] });
    const channelsOnly = writeJson(dir, 'b.json', { channels: [{ channel: 'orders', series }] });
    expect(loadServerConfiguration({ ...quiet, PULSE_CONFIG: withSources }).config.simulator).toBe(false);
    expect(loadServerConfiguration({ ...quiet, PULSE_CONFIG: withSources, PULSE_SIMULATOR: '1' }).config.simulator).toBe(true);
    const alone = loadServerConfiguration({ ...quiet, PULSE_CONFIG: channelsOnly });
    expect(alone.config.simulator).toBe(true);
    expect(alone.series.seriesFor('demo', 'orders')).toEqual(series);
    expect(alone.series.seriesFor('demo', 'kpi')).toEqual(demoChannels()[0].series);
    expect(loadServerConfiguration({ ...quiet, PULSE_CONFIG: channelsOnly, PULSE_SIMULATOR: 'off' }).series.seriesFor('demo', 'kpi')).toBeUndefined();
  });

  it("lets the file's entries win over the demo's, patterns included", () => {
    const dir = tempDir();
    const own = { fields: ['utilization'], resolutionMs: 5000, windowMs: 300_000 };
    const exact = writeJson(dir, 'exact.json', { channels: [{ channel: 'kpi', tenant: 'demo', series: own }] });
    const pattern = writeJson(dir, 'pattern.json', { channels: [{ channel: 'k*', series: own }] });
    for (const path of [exact, pattern]) {
      const { series: lookup } = loadServerConfiguration({ ...quiet, PULSE_CONFIG: path });
      expect(lookup.seriesFor('demo', 'kpi')).toEqual(own);
      expect(lookup.seriesFor('demo', 'backlog')).toEqual(demoChannels()[1].series);
    }
  });

  it('stops on a bad variable before reading any file', () => {
    expect(() => loadServerConfiguration({ PULSE_CONFIG: '' , PORT: 'x' })).toThrow(/^Invalid configuration: PORT /);
  });
});

describe('series lookup', () => {
  const spec = (resolutionMs: number) => ({ fields: ['v'], resolutionMs, windowMs: resolutionMs * 10 });
  const entries: ChannelDeclaration[] = [
    { channel: '*', series: spec(100) },
    { channel: 'fleet:*', tenant: 'acme', series: spec(200) },
    { channel: 'fleet:*', series: spec(300) },
    { channel: 'fleet:eu', series: spec(400) },
    { channel: 'fleet:eu', tenant: 'acme', series: spec(500) },
    { channel: 'fleet:e*', series: spec(600) },
  ];
  const lookup = seriesLookup(entries);

  it('takes the exact name for the tenant, then the exact name for all, then patterns for the tenant, then for all', () => {
    expect(lookup.seriesFor('acme', 'fleet:eu')?.resolutionMs).toBe(500);
    expect(lookup.seriesFor('other', 'fleet:eu')?.resolutionMs).toBe(400);
    expect(lookup.seriesFor('acme', 'fleet:us')?.resolutionMs).toBe(200);
    expect(lookup.seriesFor('other', 'fleet:us')?.resolutionMs).toBe(100);
    expect(lookup.seriesFor('other', 'kpi')?.resolutionMs).toBe(100);
  });

  it('takes the first matching pattern in file order among patterns equally specific', () => {
    // "*" comes before "fleet:*" and "fleet:e*" in the file, all three for every tenant.
    expect(lookup.seriesFor('other', 'fleet:es')?.resolutionMs).toBe(100);
    expect(seriesLookup(entries.slice(1)).seriesFor('other', 'fleet:es')?.resolutionMs).toBe(300);
  });

  it('consults a later layer only for channels the earlier ones do not match', () => {
    const layered = seriesLookup([{ channel: 'kpi', tenant: 'demo', series: spec(1000) }], [
      { channel: 'kpi', tenant: 'demo', series: spec(2000) },
      { channel: 'backlog', tenant: 'demo', series: spec(3000) },
    ]);
    expect(layered.seriesFor('demo', 'kpi')?.resolutionMs).toBe(1000);
    expect(layered.seriesFor('demo', 'backlog')?.resolutionMs).toBe(3000);
    expect(layered.seriesFor('other', 'backlog')).toBeUndefined();
  });

  it('keeps nothing without declarations', () => {
    expect(seriesLookup()).toBe(NO_SERIES);
    expect(seriesLookup([], []).seriesFor('demo', 'kpi')).toBeUndefined();
  });

  it('matches patterns as tokens do: * is any run, every other character literal', () => {
    const dotted = seriesLookup([{ channel: 'a.*.z', series: spec(100) }]);
    expect(dotted.seriesFor('t', 'a.b.c.z')).toBeDefined();
    expect(dotted.seriesFor('t', 'aXbXz')).toBeUndefined();
  });
});

describe('the demo declarations', () => {
  it('are a valid channels section, for the demo tenant by default', () => {
    const { channels } = parseConfigFile({ channels: demoChannels() }, 'demo');
    expect(channels).toEqual(demoChannels());
    expect(demoChannels('other').every((entry) => entry.tenant === 'other')).toBe(true);
  });
});

describe('the JSON Schema', () => {
  it('is committed as generated from the validation schema (npm run config:schema)', () => {
    expect(readFileSync(join(ROOT, CONFIG_JSON_SCHEMA_PATH), 'utf8')).toBe(configJsonSchemaText());
  });

  it('is what the example files point their editors at', () => {
    for (const example of ['examples/pulse.config.json', 'examples/sources.json']) {
      const { $schema } = JSON.parse(readFileSync(join(ROOT, example), 'utf8')) as { $schema: string };
      expect(join(ROOT, 'examples', $schema)).toBe(join(ROOT, CONFIG_JSON_SCHEMA_PATH));
    }
  });

  it('describes the sections, refuses unknown keys and accepts ${NAME} where a string has a format', () => {
    const schema = JSON.parse(configJsonSchemaText());
    expect(Object.keys(schema.properties)).toEqual(['$schema', 'sources', 'channels', 'dashboards']);
    expect(schema.additionalProperties).toBe(false);
    const entry = schema.properties.channels.items;
    expect(entry.required).toEqual(['channel', 'series']);
    expect(entry.properties.series.properties.resolutionMs).toMatchObject({ minimum: 100, default: 1000 });
    const postgresSource = schema.properties.sources.items.oneOf.find((s: { properties: { kind: { const: string } } }) => s.properties.kind.const === 'postgres');
    expect(postgresSource.properties.connectionString.anyOf).toEqual([
      { type: 'string', pattern: '^postgres(ql)?:\\/\\/' },
      { type: 'string', pattern: '\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}' },
    ]);
  });
});
