// The `optOut` section of pigeon.yaml, at the top level and per application (what it may say and
// how it merges: core/opt-out/settings.ts). The global settings are resolved here once; each
// application's own settings travel with it in the live directory and are applied from there
// (core/opt-out/live-policy.ts), so the file's are only checked here.
import type { OptOutSettings } from '../core/opt-out/keywords.js';
import { BUILT_IN_SETTINGS, keywordConflict, mergeOptOut, optOutSchema, type OptOutFileConfig } from '../core/opt-out/settings.js';

export { optOutSchema, type OptOutFileConfig };

/** The resolved settings: global, and per application id of the config file. */
export interface OptOutConfig {
  readonly global: OptOutSettings;
  readonly applications: Readonly<Record<string, OptOutSettings>>;
}

/** A keyword in two classes after merging; `path` names the key. */
export class OptOutConfigError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

function merge(base: OptOutSettings, over: OptOutFileConfig | undefined, path: string): OptOutSettings {
  const merged = mergeOptOut(base, over);
  const conflict = keywordConflict(merged);
  if (conflict) throw new OptOutConfigError(`${path}.${conflict.path}`, conflict.message);
  return merged;
}

/** Resolves the settings; throws OptOutConfigError naming the key of a conflict. */
export function resolveOptOutConfig(
  global: OptOutFileConfig | undefined,
  accounts: ReadonlyArray<{ applications: ReadonlyArray<{ id: string; optOut?: OptOutFileConfig | undefined }> }>,
): OptOutConfig {
  const resolved = merge(BUILT_IN_SETTINGS, global, 'optOut');
  const applications: Record<string, OptOutSettings> = {};
  accounts.forEach((account, a) =>
    account.applications.forEach((app, p) => {
      if (app.optOut) applications[app.id] = merge(resolved, app.optOut, `accounts[${a}].applications[${p}].optOut`);
    }),
  );
  return { global: resolved, applications };
}
