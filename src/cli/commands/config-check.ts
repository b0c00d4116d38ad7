// `pigeon config check`: validates the config file and summarises what it declares.
import { describeDatabaseUrl, loadConfig, type ConfigFlags } from '../../config/config.js';

export function configCheckCommand(flags: ConfigFlags, out: NodeJS.WritableStream): number {
  const config = loadConfig(process.env, flags);
  const apps = config.accounts.flatMap((a) => a.applications);
  const numbers = apps.reduce((n, app) => n + app.numbers.length, 0);
  const source = config.configPath ?? 'no config file (demo account)';
  out.write(
    `${source}: ok — ${config.accounts.length} account(s), ${config.accounts.reduce((n, a) => n + a.users.length, 0)} API user(s), ${apps.length} application(s), ${numbers} number(s); database ${describeDatabaseUrl(config.databaseUrl)}\n`,
  );
  return 0;
}
