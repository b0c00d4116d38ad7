// The SMPP scenario of `npm run bench`: the end-to-end run of e2e.ts, unchanged but for the carrier.
// Every message goes to `pigeon smsc` (a child process, quiet, zero latency) over one SMPP
// transceiver bind per Pigeon worker process: submit_sm, submit_sm_resp, the receipt as deliver_sm
// and its deliver_sm_resp, then the callback. Its end-to-end rate is set beside the simulator's in
// the same run (target: at least 80 %). The SMSC's own CPU is reported apart from Pigeon's: on
// this machine it competes for the same cores, which a real carrier's SMSC does not.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processCpuMs, printComplaints, startSmsc } from './child.js';
import { runEndToEnd, type E2eOptions, type E2eResult } from './e2e.js';
import { fixed, formatTable } from './table.js';

export const TARGET_SMPP_RATIO = 0.8;

export interface SmppRun {
  smpp: E2eResult;
  /** The simulator end-to-end run of the same engine in the same bench run. */
  simulator: E2eResult;
  smscCpuPercent: number | undefined;
  smscCpuUsPerMessage: number | undefined;
}

export interface SmppCarrierKnobs {
  /** The carrier's window; undefined leaves Pigeon's default. */
  window: number | undefined;
  /** Binds per Pigeon process; undefined leaves Pigeon's default. */
  binds: number | undefined;
}

export async function runSmppEndToEnd(options: E2eOptions, knobs: SmppCarrierKnobs): Promise<Omit<SmppRun, 'simulator'>> {
  const smscConfig = join(options.tempDir, `pigeon-smsc-${options.engine}.yaml`);
  // Everything delivered at once: the figure is the SMPP path's cost, not a latency.
  writeFileSync(smscConfig, 'simulator: { latencyMs: 0 }\n');
  const smsc = await startSmsc(options.root, smscConfig);
  try {
    const [host, port] = smsc.url.split(':');
    const entry = {
      name: 'smsc',
      type: 'smpp',
      host,
      port: Number(port),
      systemId: 'pigeon',
      password: 'bench',
      ...(knobs.window !== undefined && { window: knobs.window }),
      ...(knobs.binds !== undefined && { binds: knobs.binds }),
    };
    const yaml = `carriers:\n  - ${JSON.stringify(entry)}\nroutes:\n  - { carrier: smsc }\n`;
    const cpuStart = processCpuMs(smsc.pid);
    const startedAt = Date.now();
    const smpp = await runEndToEnd({ ...options, carrier: { yaml, name: `pigeon smsc over SMPP (window ${knobs.window ?? 'default'})` } });
    const cpuMs = (processCpuMs(smsc.pid) ?? NaN) - (cpuStart ?? NaN);
    const complete = smpp.lastCallbackAt !== undefined;
    return {
      smpp,
      smscCpuPercent: Number.isFinite(cpuMs) ? (100 * cpuMs) / (Date.now() - startedAt) : undefined,
      smscCpuUsPerMessage: Number.isFinite(cpuMs) && complete ? (cpuMs * 1000) / smpp.messages : undefined,
    };
  } finally {
    const exit = await smsc.stop(10_000);
    if (exit !== 0) options.failures.push(`pigeon smsc exited with code ${exit} on SIGTERM`);
    printComplaints(smsc);
  }
}

export function printSmpp(runs: readonly SmppRun[]): void {
  if (runs.length === 0) return;
  const rows = runs.map(({ smpp, simulator, smscCpuUsPerMessage }) => {
    const ratio =
      smpp.endToEndPerSecond === undefined || simulator.endToEndPerSecond === undefined ? undefined : smpp.endToEndPerSecond / simulator.endToEndPerSecond;
    return [
      smpp.engine,
      String(smpp.messages),
      fixed(simulator.endToEndPerSecond, 0),
      fixed(smpp.endToEndPerSecond, 0),
      ratio === undefined ? '-' : `${fixed(100 * ratio, 1)}%`,
      `${fixed(simulator.pigeonCpuUsPerMessage, 0)} / ${fixed(smpp.pigeonCpuUsPerMessage, 0)}`,
      fixed(smscCpuUsPerMessage, 0),
      ratio === undefined ? 'MISS (incomplete)' : ratio >= TARGET_SMPP_RATIO ? 'PASS' : 'MISS',
    ];
  });
  console.log(
    `\n== smpp\n${formatTable(
      ['engine', 'SMS', 'simulator e2e/s', 'SMPP e2e/s', 'SMPP of simulator', 'pigeon CPU µs/msg sim / SMPP', 'smsc CPU µs/msg', `target >= ${TARGET_SMPP_RATIO * 100}%`],
      rows,
    )}`,
  );
}
