/**
 * vmbench's folders under the XDG base directories, read from the environment at each call (a
 * test or a Job may set XDG_* before loading anything): cache (ISOs, keys of the sshkey data
 * source), state (build logs, the run records), config (the user's profiles).
 */
import os from 'node:os';
import path from 'node:path';

const xdg = (name: string, fallback: string): string => process.env[name] || path.join(os.homedir(), fallback);
export const cacheDir = (): string => path.join(xdg('XDG_CACHE_HOME', '.cache'), 'vmbench');
export const stateDir = (): string => path.join(xdg('XDG_STATE_HOME', '.local/state'), 'vmbench');
export const configDir = (): string => path.join(xdg('XDG_CONFIG_HOME', '.config'), 'vmbench');
