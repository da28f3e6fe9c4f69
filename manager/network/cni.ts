// Our CNI executor (CNI specification 1.0, sections 2 and 3): runs the plugin binaries of a
// network configuration list for one container with the CNI_* environment and the plugin's
// configuration on stdin, chains ADD results through prevResult, runs DEL in reverse order
// and CHECK in order from the cached result, and turns a plugin's {code, msg, details} into a
// one-line error.
//
// The attachment record (cache/<containerId>/<ifName>.json) is written BEFORE the first plugin
// runs and completed with the result afterwards: a manager killed during ADD leaves a record
// without a result, and the next command can still DEL what the plugins had done. A directory
// lock (flock on the container's cache directory) is held while a command runs, so that the
// clean-up of abandoned records can tell a running ADD from a dead one.
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import { validateManagerDocument } from '../../schemas/validate-manager';
import { ConflictError, ManagerError } from '../errors';
import { tryFlock, withFileLock } from './lock';
import { runCaptured } from '../system/run-captured';

export const CNI_VERSION = '1.0.0';

const LOCK_POLL_MS = 20;
const lockKey = (containerId: string, ifName: string) => `${containerId}\n${ifName}`;

/** What a DEL may need beside the record: see CniExecutor.del. */
export interface DelOverrides {
  /** the namespace path to give the plugins ('' when it is gone) */
  netns?: string;
  /** a result for a record an unfinished ADD left without one (a function: looked up once the lock is held) */
  result?: CniResult | ((record: CniAttachment) => CniResult | undefined);
  /** wait this long for another operation (or a plugin a killed manager left running) to end */
  waitMs?: number;
}
export const DEFAULT_CNI_PLUGIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];
// The plugins run iptables and ip; a clean environment keeps ours (NODE_*, the caller's PATH) out.
const PLUGIN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK';

/** One plugin's configuration in a list: `type` names the binary, the rest is the plugin's. */
export interface CniPluginConfig {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface CniConfList {
  cniVersion: string;
  name: string;
  disableCheck?: boolean;
  plugins: CniPluginConfig[];
}

export interface CniInterface {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
}

export interface CniIpConfig {
  /** address/prefix */
  address: string;
  gateway?: string;
  /** index into interfaces */
  interface?: number;
}

export interface CniRoute {
  dst: string;
  gw?: string;
}

export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIpConfig[];
  routes?: CniRoute[];
  dns?: CniDns;
}

/** What the runtime passes for one attachment (CNI spec: "attachment parameters"). */
export interface CniRuntimeConf {
  containerId: string;
  /** the netns path; '' when it is gone (plugins then skip what is inside it) */
  netns: string;
  ifName: string;
  /** CNI_ARGS, as key=value pairs */
  cniArgs?: [string, string][];
  /** values for the plugins' capabilities, passed as runtimeConfig (e.g. portMappings) */
  capabilityArgs?: Record<string, unknown>;
}

/** The record kept per attachment (schemas/manager/cni-attachment.schema.json). */
export interface CniAttachment {
  kind: 'cniAttachment/v1';
  containerId: string;
  ifName: string;
  networkName: string;
  netns: string;
  config: CniConfList;
  capabilityArgs: Record<string, unknown>;
  cniArgs?: [string, string][];
  /** absent while ADD runs, or when the manager died during it */
  result?: CniResult;
  created: string;
}

/** A plugin failed: its message, in one line. */
export class CniError extends ManagerError {
  constructor(
    readonly network: string,
    readonly plugin: string,
    readonly command: CniCommand,
    readonly code: number | undefined,
    readonly msg: string,
    readonly details?: string,
    /** the plugin binary is not installed */
    readonly pluginMissing = false,
  ) {
    super(oneLine(`network ${network}: CNI plugin ${plugin} ${command} failed: ${msg}${details && details !== msg ? `: ${details}` : ''}`));
    this.name = 'CniError';
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ').trim();
}

export interface CniExecutorOptions {
  /** where plugin binaries are looked up, in order (CNI_PATH) */
  pluginDirs?: string[];
  /** where attachment records are kept */
  cacheDir: string;
  /** a plugin taking longer than this is killed (default 60 s) */
  timeoutMs?: number;
  /** called after each plugin run (for --debug logs and the timing test) */
  onPluginDone?: (run: PluginRun) => void;
  /**
   * Plugins whose ADDs run one at a time (across processes: a lock on `lockFile`). The firewall
   * and portmap plugins create their shared chains on first use with check-then-append, and
   * concurrent first ADDs append the jumps to them twice.
   */
  serialize?: { plugins: string[]; lockFile: string };
}

export interface PluginRun {
  network: string;
  plugin: string;
  command: CniCommand;
  ms: number;
  ok: boolean;
}

export class CniExecutor {
  readonly pluginDirs: string[];
  readonly cacheDir: string;
  private readonly timeoutMs: number;
  private readonly onPluginDone: ((run: PluginRun) => void) | undefined;
  private readonly serialize: CniExecutorOptions['serialize'];
  /** the lock descriptors this process holds, by container and interface: the plugins of that ADD or DEL inherit them */
  private readonly lockFds = new Map<string, number>();

  constructor(options: CniExecutorOptions) {
    this.pluginDirs = options.pluginDirs ?? DEFAULT_CNI_PLUGIN_DIRS;
    this.cacheDir = options.cacheDir;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.onPluginDone = options.onPluginDone;
    this.serialize = options.serialize;
  }

  /**
   * Writes the attachment record without a result: from here on a DEL (or the clean-up after a
   * crash) knows about the attachment. `add` does it itself when it was not done before; doing it
   * earlier lets a caller reserve something (host ports) under a lock of its own.
   */
  reserve(list: CniConfList, rt: CniRuntimeConf): CniAttachment {
    const record: CniAttachment = {
      kind: 'cniAttachment/v1',
      containerId: rt.containerId,
      ifName: rt.ifName,
      networkName: list.name,
      netns: rt.netns,
      config: list,
      capabilityArgs: rt.capabilityArgs ?? {},
      ...(rt.cniArgs ? { cniArgs: rt.cniArgs } : {}),
      created: new Date().toISOString(),
    };
    validateManagerDocument('cniAttachment', record, 'CNI attachment');
    const existing = this.cached(rt.containerId, rt.ifName);
    if (existing) {
      throw new ConflictError(`container ${rt.containerId}: interface ${rt.ifName} is already attached to network ${existing.networkName}`);
    }
    this.writeRecord(record);
    return record;
  }

  /**
   * ADD: runs the plugins in order, each getting the previous one's result; the last result is
   * cached and returned. `reserved` is the record `reserve` returned, when the caller reserved
   * first; it holds the list and arguments to run with.
   */
  async add(list: CniConfList, rt: CniRuntimeConf, reserved?: CniAttachment): Promise<CniResult> {
    return this.locked(rt.containerId, rt.ifName, async () => {
      const record = reserved ?? this.reserve(list, rt);
      const recorded = runtimeConfOf(record);
      let prevResult: CniResult | undefined;
      try {
        for (const plugin of record.config.plugins) {
          const output = await this.runPlugin('ADD', record.config, plugin, recorded, prevResult);
          prevResult = this.parseResult(list.name, plugin.type, output);
        }
      } catch (err) {
        // CNI spec 3: a failed ADD is undone by a DEL of the whole list, in reverse order
        const undo = { ...record, ...(prevResult ? { result: prevResult } : {}) };
        try {
          await this.runDel(undo);
          this.removeRecord(rt.containerId, rt.ifName);
        } catch {
          this.writeRecord(undo); // the next clean-up tries again
        }
        throw err;
      }
      if (!prevResult) throw new CniError(list.name, 'list', 'ADD', undefined, 'the plugin list gave no result');
      this.writeRecord({ ...record, result: prevResult });
      return prevResult;
    });
  }

  /**
   * DEL of a cached attachment: the plugins in reverse order, each with the cached result as
   * prevResult. `overrides.netns` replaces the recorded path ('' when the namespace is gone);
   * `overrides.result` stands in for a result an unfinished ADD never recorded. Nothing
   * cached: nothing to do (DEL is idempotent). The record is removed once every plugin succeeded.
   */
  async del(containerId: string, ifName: string, overrides: DelOverrides = {}): Promise<CniAttachment | undefined> {
    return this.locked(containerId, ifName, async () => {
      const record = this.cached(containerId, ifName);
      if (!record) return undefined;
      const result = record.result ?? (typeof overrides.result === 'function' ? overrides.result(record) : overrides.result);
      await this.runDel({ ...record, ...(overrides.netns !== undefined ? { netns: overrides.netns } : {}), ...(result ? { result } : {}) });
      this.removeRecord(containerId, ifName);
      return record;
    }, overrides.waitMs);
  }

  /** CHECK: the plugins in order with the cached result; throws the first plugin's error. */
  async check(containerId: string, ifName: string): Promise<void> {
    const record = this.cached(containerId, ifName);
    if (!record?.result) throw new ManagerError(`container ${containerId}: no finished network attachment on ${ifName} to check`);
    if (record.config.disableCheck) return;
    const rt = runtimeConfOf(record);
    for (const plugin of record.config.plugins) await this.runPlugin('CHECK', record.config, plugin, rt, record.result);
  }

  /**
   * Runs a list without a record: for plugins with nothing to undo (loopback). ADD chains the
   * results as `add` does; resolves to the last one.
   */
  async run(command: CniCommand, list: CniConfList, rt: CniRuntimeConf): Promise<CniResult | undefined> {
    let prevResult: CniResult | undefined;
    const plugins = command === 'DEL' ? [...list.plugins].reverse() : list.plugins;
    for (const plugin of plugins) {
      const output = await this.runPlugin(command, list, plugin, rt, prevResult);
      if (command === 'ADD') prevResult = this.parseResult(list.name, plugin.type, output);
    }
    return prevResult;
  }

  /** The record of one attachment, or undefined. */
  cached(containerId: string, ifName: string): CniAttachment | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.recordPath(containerId, ifName), 'utf8');
    } catch {
      return undefined;
    }
    const record = JSON.parse(text) as unknown;
    validateManagerDocument('cniAttachment', record, this.recordPath(containerId, ifName));
    return record as CniAttachment;
  }

  /** Every record (all containers, all interfaces). */
  listCached(): CniAttachment[] {
    const records: CniAttachment[] = [];
    for (const containerId of this.cachedContainers()) {
      for (const file of safeReaddir(path.join(this.cacheDir, containerId))) {
        if (!file.endsWith('.json')) continue;
        const record = this.cached(containerId, file.slice(0, -'.json'.length));
        if (record) records.push(record);
      }
    }
    return records;
  }

  cachedContainers(): string[] {
    return safeReaddir(this.cacheDir).filter((name) => !name.startsWith('.'));
  }

  /** Whether a command on this container runs right now (in this or another process). */
  busy(containerId: string): boolean {
    const fd = this.openLock(containerId);
    if (fd === undefined) return false;
    try {
      return !tryFlock(fd, containerId);
    } finally {
      fs.closeSync(fd);
    }
  }

  private async runDel(record: CniAttachment): Promise<void> {
    const rt = runtimeConfOf(record);
    for (const plugin of [...record.config.plugins].reverse()) {
      try {
        await this.runPlugin('DEL', record.config, plugin, rt, record.result);
      } catch (err) {
        // a plugin that is not installed made nothing to undo
        if (!(err instanceof CniError && err.pluginMissing)) throw err;
      }
    }
  }

  private parseResult(network: string, plugin: string, output: string): CniResult {
    let result: unknown;
    try {
      result = JSON.parse(output);
    } catch {
      throw new CniError(network, plugin, 'ADD', undefined, `the plugin printed no JSON result: ${output.slice(0, 200)}`);
    }
    try {
      validateManagerDocument('cniResult', result, `the ${plugin} plugin's result`);
    } catch (err) {
      throw new CniError(network, plugin, 'ADD', undefined, (err as Error).message);
    }
    return result as CniResult;
  }

  /** Runs one plugin (under the serialization lock when it is one of those); resolves to its stdout. */
  private runPlugin(
    command: CniCommand,
    list: CniConfList,
    plugin: CniPluginConfig,
    rt: CniRuntimeConf,
    prevResult: CniResult | undefined,
  ): Promise<string> {
    const serialize = this.serialize;
    if (command === 'ADD' && serialize?.plugins.includes(plugin.type)) {
      return withFileLock(serialize.lockFile, () => this.execPlugin(command, list, plugin, rt, prevResult));
    }
    return this.execPlugin(command, list, plugin, rt, prevResult);
  }

  private execPlugin(
    command: CniCommand,
    list: CniConfList,
    plugin: CniPluginConfig,
    rt: CniRuntimeConf,
    prevResult: CniResult | undefined,
  ): Promise<string> {
    const binary = this.findPlugin(list.name, plugin.type, command);
    const config: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
    const runtimeConfig = runtimeConfigFor(plugin, rt.capabilityArgs);
    if (runtimeConfig) config.runtimeConfig = runtimeConfig;
    if (prevResult) config.prevResult = prevResult;
    const env = {
      PATH: PLUGIN_PATH,
      CNI_COMMAND: command,
      CNI_CONTAINERID: rt.containerId,
      CNI_NETNS: rt.netns,
      CNI_IFNAME: rt.ifName,
      CNI_ARGS: (rt.cniArgs ?? []).map(([k, v]) => `${k}=${v}`).join(';'),
      CNI_PATH: this.pluginDirs.join(':'),
    };
    const started = performance.now();
    const done = (ok: boolean) => this.onPluginDone?.({ network: list.name, plugin: plugin.type, command, ms: performance.now() - started, ok });
    const run = async (): Promise<string> => {
      let result;
      try {
        const lockFd = this.lockFds.get(lockKey(rt.containerId, rt.ifName));
        result = await runCaptured(binary, [], { env, input: JSON.stringify(config), timeoutMs: this.timeoutMs, keepFds: lockFd === undefined ? [] : [lockFd] });
      } catch (err) {
        throw new CniError(list.name, plugin.type, command, undefined, `cannot run ${binary}: ${(err as Error).message}`);
      }
      if (result.code === 0) return result.stdout;
      const how =
        result.signal === undefined
          ? `exit status ${result.code}`
          : `killed by ${signalName(result.signal)}${result.timedOut ? ` (timeout ${this.timeoutMs} ms?)` : ''}`;
      throw pluginError(list.name, plugin.type, command, result.stdout, result.stderr, how);
    };
    return run().then(
      (out) => {
        done(true);
        return out;
      },
      (err: unknown) => {
        done(false);
        throw err;
      },
    );
  }

  private findPlugin(network: string, type: string, command: CniCommand): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(type) || type.startsWith('.')) throw new CniError(network, type, command, undefined, 'invalid plugin type');
    for (const dir of this.pluginDirs) {
      const candidate = path.join(dir, type);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      } catch {
        /* next directory */
      }
    }
    throw new CniError(network, type, command, undefined, `plugin not found in ${this.pluginDirs.join(', ')} (Debian: apt-get install containernetworking-plugins)`, undefined, true);
  }

  /**
   * Runs fn holding the container's lock. The plugins fn starts hold it too (they inherit the
   * descriptor): a plugin that outlives a killed manager keeps the container busy until it ends,
   * so a clean-up never undoes an ADD that is still going on. `waitMs`: how long to wait for the
   * lock before giving up (0: refuse at once).
   */
  private async locked<T>(containerId: string, ifName: string, fn: () => Promise<T>, waitMs = 0): Promise<T> {
    fs.mkdirSync(path.join(this.cacheDir, containerId), { recursive: true, mode: 0o700 });
    const fd = this.openLock(containerId)!;
    const key = lockKey(containerId, ifName);
    let held = false;
    try {
      for (let waited = 0; !tryFlock(fd, containerId); waited += LOCK_POLL_MS) {
        if (waited >= waitMs) throw new ConflictError(`container ${containerId}: another network operation on it is in progress`);
        await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
      }
      held = true;
      this.lockFds.set(key, fd);
      return await fn();
    } finally {
      if (held) this.lockFds.delete(key);
      fs.closeSync(fd);
      // an empty directory is an attachment gone: remove it (a racing reserve recreates it)
      try {
        fs.rmdirSync(path.join(this.cacheDir, containerId));
      } catch {
        /* not empty */
      }
    }
  }

  private openLock(containerId: string): number | undefined {
    try {
      return fs.openSync(path.join(this.cacheDir, containerId), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    } catch {
      return undefined;
    }
  }

  private recordPath(containerId: string, ifName: string): string {
    return path.join(this.cacheDir, containerId, `${ifName}.json`);
  }

  private writeRecord(record: CniAttachment): void {
    const file = this.recordPath(record.containerId, record.ifName);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(record), { mode: 0o600 });
    fs.renameSync(tmp, file);
  }

  private removeRecord(containerId: string, ifName: string): void {
    fs.rmSync(this.recordPath(containerId, ifName), { force: true });
  }
}

function runtimeConfOf(record: CniAttachment): CniRuntimeConf {
  return {
    containerId: record.containerId,
    netns: record.netns,
    ifName: record.ifName,
    capabilityArgs: record.capabilityArgs,
    ...(record.cniArgs ? { cniArgs: record.cniArgs } : {}),
  };
}

/** runtimeConfig holds only the capabilities the plugin declares (CNI conventions). */
function runtimeConfigFor(plugin: CniPluginConfig, args: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!plugin.capabilities || !args) return undefined;
  const entries = Object.entries(plugin.capabilities).filter(([name, on]) => on && args[name] !== undefined);
  return entries.length ? Object.fromEntries(entries.map(([name]) => [name, args[name]])) : undefined;
}

function pluginError(network: string, plugin: string, command: CniCommand, stdout: string, stderr: string, how: string): CniError {
  try {
    const parsed = JSON.parse(stdout) as { code?: unknown; msg?: unknown; details?: unknown };
    if (typeof parsed.msg === 'string') {
      return new CniError(network, plugin, command, typeof parsed.code === 'number' ? parsed.code : undefined, parsed.msg, typeof parsed.details === 'string' ? parsed.details : undefined);
    }
  } catch {
    /* not the CNI error format: fall back to what it wrote */
  }
  const lastLine = (stderr.trim() || stdout.trim()).split('\n').at(-1) ?? '';
  return new CniError(network, plugin, command, undefined, lastLine ? `${how}: ${lastLine}` : how);
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** "SIGKILL" for 9 (as child_process reported it). */
function signalName(signal: number): string {
  const name = Object.entries(os.constants.signals).find(([, n]) => n === signal)?.[0];
  return name ?? `signal ${signal}`;
}
