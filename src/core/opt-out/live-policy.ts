// The opt-out settings a message follows: its application's own, as the live directory holds them
// now, over the global settings of the config file. The directory replaces an application's stored
// settings object whenever a change to the application arrives (from this thread's write or from
// another thread's or process's, by its change signal), so the settings resolved from one object
// are kept beside it and resolved again only once it has been replaced: the next message after a
// change follows the new settings, and messages in between cost one lookup.
import type { AccountDirectory } from '../accounts/directory.js';
import type { OptOutPolicy, OptOutSettings } from './keywords.js';
import { mergeOptOut, optOutSchema } from './settings.js';

export function liveOptOutPolicy(global: OptOutSettings, directory: Pick<AccountDirectory, 'application'>): OptOutPolicy {
  const resolved = new WeakMap<object, OptOutSettings>();
  return {
    settingsFor(accountId, applicationId) {
      const stored = directory.application(accountId, applicationId)?.optOut;
      // No settings of its own, or the application is gone (a message queued before its deletion).
      if (stored === undefined || stored === null || typeof stored !== 'object') return global;
      let settings = resolved.get(stored);
      if (!settings) {
        // The admin API and the config file check settings before storing them; a stored object
        // that does not parse (written by hand into the database) is ignored rather than half applied.
        const parsed = optOutSchema.safeParse(stored);
        settings = parsed.success ? mergeOptOut(global, parsed.data) : global;
        resolved.set(stored, settings);
      }
      return settings;
    },
  };
}
