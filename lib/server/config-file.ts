/**
 * The server's configuration, read once at start-up: the environment (`lib/config.ts`), the
 * configuration file `PULSE_CONFIG` names, and the sources file `PULSE_SOURCES` names
 * (docs/configuration.md). Every mistake stops the start with one line naming the file, the
 * entry and the field:
 *
 *   pulse.config.json: channels[2] (kpi): series.resolutionMs: must be at least 100
 *   pulse.config.json: dashboards[0] (ops): panels[3] (Backlog): columns[1].format: must be one of …
 *
 * String values may name environment variables (`"${MQTT_PASSWORD}"`), resolved here before
 * the file is checked, so secrets never have to be written into it. A resolved value never
 * appears in a message: entries are named by what the file says, and a wrong value by the
 * variable it came from.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { loadConfig, type Config } from '../config';
import { PANEL_KINDS } from '../dashboards/schema';
import type { DashboardSpec } from '../dashboards/types';
import { demoChannels } from '../demo/series';
import { seriesLookup, type ChannelDeclaration, type SeriesLookup } from '../engine/series-spec';
import { parseSources, sourceLabel, type SourceConfig } from '../sources/declared';
import { configFileSchema, SECTIONS } from './config-schema';

/** Everything the server reads before it starts. */
export interface ServerConfiguration {
  /** The environment's configuration; `simulator` also accounts for the file's sources. */
  config: Config;
  /** The configuration file's sources, then those of `PULSE_SOURCES`. */
  sources: SourceConfig[];
  /** The configuration file's `channels`, as written (defaults filled in). */
  channels: ChannelDeclaration[];
  /** Which channels keep series: `channels`, then the demo's own while the simulator runs. */
  series: SeriesLookup;
  /** The dashboards served at `/d/<slug>`, and the file they were read from (see `resolveDashboards`). */
  dashboards: DashboardSpec[];
  dashboardsPath?: string;
}

/** What a configuration file declares. */
export interface ConfigFileContents {
  sources: SourceConfig[];
  channels: ChannelDeclaration[];
  /** Undefined when the file has no `dashboards` section (which is not the same as an empty one). */
  dashboards?: DashboardSpec[];
}

/**
 * The demo's dashboards (docs/dashboards.md, "The demo"): a configuration file shipped with the
 * product, used while the simulator runs and the configuration file declares no dashboards.
 */
export const DEMO_CONFIG_PATH = join(__dirname, '../../config/demo.pulse.config.json');

/** A configuration or sources file that cannot be used; the message is one line. */
export class ConfigFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigFileError';
  }
}

type Environment = Record<string, string | undefined>;
type Path = readonly PropertyKey[];

/**
 * Reads the environment and the files it names. Throws `ConfigError` (a variable),
 * `SourcesConfigError` (the `PULSE_SOURCES` file) or `ConfigFileError`, each with one line.
 *
 * @example
 * const { config, sources, series } = loadServerConfiguration();
 * const pulse = await startPulseServer({ config, series });
 */
export function loadServerConfiguration(env: Environment = process.env): ServerConfiguration {
  const config = loadConfig(env);
  const file = config.configPath ? loadConfigFile(config.configPath, env) : { sources: [], channels: [] };
  const sources = [...file.sources];
  if (config.sourcesPath) {
    const names = new Map(file.sources.map((source, index) => [source.name, index]));
    const extra = loadSourcesFile(config.sourcesPath, env);
    extra.forEach((source, index) => {
      const clash = names.get(source.name);
      if (clash !== undefined) {
        throw new ConfigFileError(`${config.sourcesPath}: ${sourceLabel(source, index)}: name is used twice (also ${config.configPath}: sources[${clash}])`);
      }
    });
    sources.push(...extra);
  }
  const simulator = config.simulatorSetting ?? (config.simulator && file.sources.length === 0);
  const dashboards = resolveDashboards(config.configPath ? { path: config.configPath, file } : undefined, simulator, env);
  return {
    config: { ...config, simulator },
    sources,
    channels: file.channels,
    series: seriesLookup(file.channels, simulator ? demoChannels() : []),
    dashboards: dashboards.dashboards,
    ...(dashboards.path ? { dashboardsPath: dashboards.path } : {}),
  };
}

/**
 * Which dashboards the server serves: the configuration file's `dashboards` section when it has
 * one (an empty one means none); otherwise, while the simulator runs, the demo's
 * (`DEMO_CONFIG_PATH`); otherwise none. `path` is the file they came from.
 *
 * @example
 * resolveDashboards({ path: 'pulse.config.json', file: loadConfigFile('pulse.config.json') }, false).dashboards
 */
export function resolveDashboards(
  configFile: { path: string; file: ConfigFileContents } | undefined,
  simulator: boolean,
  env: Environment = process.env,
): { dashboards: DashboardSpec[]; path?: string } {
  if (configFile?.file.dashboards) return { dashboards: configFile.file.dashboards, path: configFile.path };
  if (!simulator) return { dashboards: [] };
  return { dashboards: loadConfigFile(DEMO_CONFIG_PATH, env).dashboards ?? [], path: DEMO_CONFIG_PATH };
}

/** Reads, resolves and validates the configuration file at `path`. */
export function loadConfigFile(path: string, env: Environment = process.env): ConfigFileContents {
  return parseConfigFile(readJson(path, 'PULSE_CONFIG'), path, env);
}

/**
 * Validates a parsed configuration file; `origin` names it in messages. Variables are resolved
 * from `env` first.
 */
export function parseConfigFile(input: unknown, origin: string, env: Environment = process.env): ConfigFileContents {
  const fail = (message: string): never => {
    throw new ConfigFileError(`${origin}: ${message}`);
  };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return fail(`must be a JSON object with sections ${SECTIONS.join(', ')}`);
  }
  const unknown = Object.keys(input).filter((key) => !Object.hasOwn(configFileSchema.shape, key));
  if (unknown.length > 0) {
    const named = unknown.map((key) => `"${key}"`).join(', ');
    return fail(`unknown section${unknown.length > 1 ? 's' : ''} ${named} (a configuration file has ${SECTIONS.join(', ')} and $schema)`);
  }
  const resolved = resolveVariables(input, env);
  if (resolved.problem) return fail(locate(input, resolved.problem.path, resolved.problem.message));

  const parsed = configFileSchema.safeParse(resolved.value);
  if (!parsed.success) {
    // Within the entry (or the dashboard's panel) of the first issue, an unknown field first: it
    // is most often a typo of the field reported missing.
    const [first] = parsed.error.issues;
    const entryLength = first.path[0] === 'dashboards' && first.path[2] === 'panels' && typeof first.path[3] === 'number' ? 4 : 2;
    const sameEntry = (other: z.core.$ZodIssue) =>
      other.path.length >= entryLength && first.path.slice(0, entryLength).every((part, i) => other.path[i] === part);
    const issue = parsed.error.issues.find((other) => other.code === 'unrecognized_keys' && sameEntry(other)) ?? first;
    const names = resolved.references.get(pathKey(issue.path));
    const from = names ? ` (the value of ${names.map((name) => `\${${name}}`).join(', ')})` : '';
    return fail(locate(input, issue.path, `${explain(issue)}${from}`));
  }
  const sources = parsed.data.sources ?? [];
  const channels = parsed.data.channels ?? [];

  const firstSource = new Map<string, number>();
  sources.forEach(({ name }, index) => {
    const first = firstSource.get(name);
    if (first !== undefined) fail(locate(input, ['sources', index, 'name'], `used twice (first at sources[${first}])`));
    firstSource.set(name, index);
  });
  const firstChannel = new Map<string, number>();
  channels.forEach(({ channel, tenant }, index) => {
    const key = `${tenant ?? ''}/${channel}`;
    const first = firstChannel.get(key);
    if (first !== undefined) {
      fail(locate(input, ['channels', index, 'channel'], `declared twice ${tenant === undefined ? 'for every tenant' : 'for this tenant'} (first at channels[${first}])`));
    }
    firstChannel.set(key, index);
  });
  return { sources, channels, ...(parsed.data.dashboards ? { dashboards: parsed.data.dashboards } : {}) };
}

/**
 * Reads, resolves and validates the file `PULSE_SOURCES` names (docs/sources.md), `{ "sources": [ … ] }`;
 * its messages name a source by its name, as they always have.
 */
export function loadSourcesFile(path: string, env: Environment = process.env): SourceConfig[] {
  const input = readJson(path, 'PULSE_SOURCES');
  const resolved = resolveVariables(input, env);
  if (resolved.problem) {
    const [section, index, ...field] = resolved.problem.path;
    const entry = section === 'sources' && typeof index === 'number' ? `${sourceLabel((input as { sources: unknown[] }).sources[index], index)}: ` : '';
    const rest = entry ? field : resolved.problem.path;
    throw new ConfigFileError(`${path}: ${entry}${rest.length ? `${formatField(rest)}: ` : ''}${resolved.problem.message}`);
  }
  return parseSources(resolved.value, path);
}

function readJson(path: string, variable: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigFileError(`${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  try {
    // Some editors save a byte order mark; JSON.parse would refuse it.
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ConfigFileError(`${variable}: ${path} is not valid JSON (${describeJsonError(text, error as Error)})`);
  }
}

/**
 * V8's message without the excerpt of the text it may quote (the file may hold a literal
 * credential), and with a line and column instead of an offset.
 */
function describeJsonError(text: string, error: Error): string {
  let message = error.message.replace(/, ".*" is not valid JSON$/s, '');
  const at = /at position (\d+)/.exec(message);
  if (at) {
    const before = text.slice(0, Number(at[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    message = message.replace(/at position \d+.*$/, `at line ${line}, column ${column}`);
  }
  return message;
}

/**
 * `channels[2] (kpi): series.resolutionMs: <message>`, naming the entry by what the file (not
 * the environment) says; a dashboard's panel is named within its dashboard:
 * `dashboards[0] (ops): panels[3] (Backlog): columns[1].format: <message>`.
 */
function locate(input: unknown, path: Path, message: string): string {
  const [section, index, ...field] = path;
  if (typeof section !== 'string' || typeof index !== 'number') return `${path.length ? `${formatField(path)}: ` : ''}${message}`;
  const raw = (input as Record<string, unknown[]>)[section]?.[index] as Record<string, unknown> | undefined;
  const named = section === 'sources' ? raw?.name : section === 'dashboards' ? raw?.slug : raw?.channel;
  const entry = `${section}[${index}]${nameOf(named)}`;
  const [member, panel, ...panelField] = field;
  if (section === 'dashboards' && member === 'panels' && typeof panel === 'number') {
    const title = (raw?.panels as Array<Record<string, unknown>> | undefined)?.[panel]?.title;
    return `${entry}: panels[${panel}]${nameOf(title)}: ${panelField.length ? `${formatField(panelField)}: ` : ''}${message}`;
  }
  return `${entry}: ${field.length ? `${formatField(field)}: ` : ''}${message}`;
}

/** ` (name)` for a name the file gave an entry, on one line; nothing when it gave none. */
function nameOf(value: unknown): string {
  return typeof value === 'string' && value.trim() !== '' ? ` (${value.replace(/\s+/g, ' ').trim()})` : '';
}

/** `series.fields[1]`, `alerts[0].priority`. */
function formatField(path: Path): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i > 0 ? '.' : ''}${String(part)}`)).join('');
}

/** A zod issue as the end of a one-line message; never with the value that was refused. */
function explain(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
  if (issue.code === 'invalid_union' && issue.path.at(-1) === 'kind') {
    const kinds: readonly string[] = issue.path[0] === 'dashboards' ? PANEL_KINDS : ['http', 'mqtt', 'postgres'];
    return `must be ${kinds.slice(0, -1).map((kind) => `"${kind}"`).join(', ')} or "${kinds.at(-1)}"`;
  }
  if (issue.code === 'invalid_value' && issue.path[0] === 'dashboards' && issue.values.length > 1) return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return 'is required';
  return issue.message;
}

// ---------------------------------------------------------------------------------------------
// Environment variables in string values

/** `${NAME}`, and `$${` for a literal `${`. */
const REFERENCE = /\$(\$?)\{([^}]*)(\}?)/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface Resolution {
  /** The input with every reference replaced. */
  value: unknown;
  /** Which variables each string came from, by `pathKey` of its path. */
  references: Map<string, string[]>;
  /** The first reference that cannot be resolved: where, and why. */
  problem?: { path: PropertyKey[]; message: string };
}

/**
 * Replaces `${NAME}` in every string value (not in keys) with the variable's value. A variable
 * that is unset or empty is a problem, as is a reference that is not a variable name; `$${`
 * stands for a literal `${`.
 *
 * @example
 * resolveVariables({ password: '${MQTT_PASSWORD}' }, { MQTT_PASSWORD: 's3cret' }).value // → { password: 's3cret' }
 */
export function resolveVariables(input: unknown, env: Environment): Resolution {
  const references = new Map<string, string[]>();
  let problem: Resolution['problem'];

  const visit = (value: unknown, path: PropertyKey[]): unknown => {
    if (problem) return value;
    if (typeof value === 'string') return resolveString(value, path);
    if (Array.isArray(value)) return value.map((item, index) => visit(item, [...path, index]));
    if (typeof value === 'object' && value !== null) {
      // fromEntries defines own properties, so a "__proto__" key stays a key.
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, visit(item, [...path, key])]));
    }
    return value;
  };

  const resolveString = (text: string, path: PropertyKey[]): string => {
    if (!text.includes('${')) return text;
    const names: string[] = [];
    const result = text.replace(REFERENCE, (match, escaped: string, name: string, close: string) => {
      if (escaped) return match.slice(1);
      if (problem) return match;
      if (!close) problem = { path, message: 'has "${" without a closing "}" (write $${ for a literal ${)' };
      else if (!VARIABLE_NAME.test(name)) problem = { path, message: `"\${${name}}" is not a variable name (A-Z a-z 0-9 _, not starting with a digit)` };
      else {
        const resolved = Object.hasOwn(env, name) ? env[name] : undefined;
        if (resolved === undefined || resolved === '') problem = { path, message: `environment variable ${name} is not set` };
        else {
          names.push(name);
          return resolved;
        }
      }
      return match;
    });
    if (names.length > 0) references.set(pathKey(path), names);
    return result;
  };

  const value = visit(input, []);
  return problem ? { value, references, problem } : { value, references };
}

function pathKey(path: Path): string {
  return JSON.stringify(path.map((part) => (typeof part === 'symbol' ? String(part) : part)));
}
