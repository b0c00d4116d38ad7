// `pigeon migrate`: brings the database schema up to date and exits, for deployments that migrate
// before starting processes. Every process also migrates at start; concurrent runs are safe.
import { describeDatabaseUrl, loadConfig, type ConfigFlags } from '../../config/config.js';
import { openStore } from '../../store/open-store.js';

export async function migrateCommand(flags: ConfigFlags, out: NodeJS.WritableStream): Promise<number> {
  const config = loadConfig(process.env, flags);
  const store = await openStore(config.databaseUrl);
  await store.close();
  out.write(`${describeDatabaseUrl(config.databaseUrl)}: schema is up to date\n`);
  return 0;
}
