// Pigeon processes as the scenarios run them: `bin/pigeon.js serve` over the built dist/, one
// process per role, all on one database — the way an operator deploys it.
import { join } from 'node:path';
import { startChild, type ChildServer } from './child.js';

export type Role = 'all' | 'api' | 'worker';

export interface PigeonOptions {
  root: string;
  name: string;
  role: Role;
  configPath: string;
  databaseUrl: string;
  nodeArgs?: string[];
  /** More environment for the children (the SQL profile's directory, say). */
  env?: Record<string, string>;
}

export function startPigeon(options: PigeonOptions): Promise<ChildServer> {
  return startChild({
    name: options.name,
    args: [...(options.nodeArgs ?? []), join(options.root, 'bin/pigeon.js'), 'serve'],
    env: {
      ...process.env,
      PIGEON_CONFIG: options.configPath,
      DATABASE_URL: options.databaseUrl,
      PORT: '0',
      // Workers' probe listeners: several workers share this host.
      PIGEON_WORKER_PORT: '0',
      HOST: '127.0.0.1',
      // Not warn: the start-up line that carries the port is logged at info. Info adds no
      // per-request lines (request logging is off), only start-up and shutdown.
      PIGEON_LOG_LEVEL: 'info',
      PIGEON_ROLE: options.role,
      ...options.env,
    },
    cwd: options.root,
    readyTimeoutMs: 60_000,
  });
}

/** The processes of one deployment: those that take HTTP requests and those that only deliver. */
export interface Deployment {
  label: string;
  /** Processes that serve the API (role api or all), in the order requests are spread over them. */
  apis: ChildServer[];
  /** Every Pigeon process of the deployment, API and worker alike. */
  processes: ChildServer[];
}

export interface DeploymentShape {
  /** One process doing everything (role all), or separate API and worker processes. */
  allInOne?: boolean;
  apis?: number;
  workers?: number;
}

export async function startDeployment(
  base: Omit<PigeonOptions, 'name' | 'role'>,
  label: string,
  shape: DeploymentShape,
  started: ChildServer[],
): Promise<Deployment> {
  const start = async (name: string, role: Role) => {
    const server = await startPigeon({ ...base, name, role });
    // The caller stops whatever did start, even when a later process fails to.
    started.push(server);
    return server;
  };
  if (shape.allInOne) {
    const server = await start(`pigeon ${label}`, 'all');
    return { label, apis: [server], processes: [server] };
  }
  // Started one after another: the first migrates the fresh database, the rest find it current.
  const apis: ChildServer[] = [];
  for (let i = 1; i <= (shape.apis ?? 1); i++) apis.push(await start(`pigeon ${label} api ${i}`, 'api'));
  const workers: ChildServer[] = [];
  for (let i = 1; i <= (shape.workers ?? 0); i++) workers.push(await start(`pigeon ${label} worker ${i}`, 'worker'));
  return { label, apis, processes: [...apis, ...workers] };
}
