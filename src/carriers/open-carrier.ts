// Picks and builds the carrier adapter. Without `carriers` in the config, the built-in simulator
// carries everything, as it always has; with them, a RoutingCarrier holds each configured carrier
// (SMPP, an upstream Bandwidth-API provider, or the simulator) and the routes choose among them.
import type { Config } from '../config/config.js';
import type { CarrierAdapter, CarrierState } from '../core/delivery/carrier.js';
import type { Store } from '../core/ports.js';
import type { UpstreamFigures } from '../metrics/metrics.js';
import { BandwidthCarrier } from './bandwidth/bandwidth-carrier.js';
import { RoutingCarrier, type RoutedCarrier } from './routing-carrier.js';
import { parseSimulatorConfig, SimulatorRuleError } from './simulator/rules.js';
import { SimulatorCarrier } from './simulator/simulator-carrier.js';
import { SmppCarrier, type CarrierLog } from './smpp/smpp-carrier.js';

export interface OpenedCarrier {
  carrier: CarrierAdapter;
  simulator: SimulatorCarrier | undefined;
  /** Each carrier's state for GET /admin/v1/status. */
  status(): Array<Record<string, unknown>>;
  /** The upstream carriers' figures for /metrics. */
  upstreams(): UpstreamFigures[];
}

export function openCarrier(
  config: Config,
  store: Store,
  now: () => number,
  onError: (err: unknown) => void,
  log: CarrierLog & { onState?: (carrier: string, state: CarrierState) => void } = silentLog,
): OpenedCarrier {
  const simulator = () => {
    const simulatorConfig = parseSimulatorConfig(config.simulator ?? {});
    return new SimulatorCarrier({
      store: store.simulator,
      settings: {
        get: (key) => store.delivery.getSetting(key),
        put: async (key, value, time) => {
          await store.delivery.putSetting(key, value, time);
          // Simulators in other processes or threads read the change now, not after their cache's TTL.
          store.announce?.('simulator');
        },
      },
      now,
      defaults: simulatorConfig,
      rules: simulatorConfig.rules,
      receiptLeaseMs: simulatorConfig.receiptLeaseSeconds * 1000,
      onError,
    });
  };
  if (config.carriers.length === 0) {
    const carrier = simulator();
    return { carrier, simulator: carrier, status: () => [{ name: carrier.name, type: 'simulator', state: carrier.state() }], upstreams: () => [] };
  }
  let sim: SimulatorCarrier | undefined;
  const carriers = new Map<string, RoutedCarrier>();
  const upstreams: BandwidthCarrier[] = [];
  for (const entry of config.carriers) {
    if (entry.type === 'simulator') {
      const adapter = simulator();
      sim = adapter;
      carriers.set(entry.name, { adapter, status: () => ({ name: entry.name, type: 'simulator', state: adapter.state() }) });
    } else if (entry.type === 'bandwidth') {
      const adapter = new BandwidthCarrier(entry, { media: store.media, refs: (id) => store.delivery.carrierRefsOf(id), now, log });
      upstreams.push(adapter);
      carriers.set(entry.name, { adapter, status: () => adapter.status() });
    } else {
      const adapter = new SmppCarrier(entry, { parts: store.inboundParts, now, log });
      carriers.set(entry.name, { adapter, carriesMedia: false, status: () => ({ ...adapter.status() }) });
    }
  }
  const routing = new RoutingCarrier(carriers, config.routes, (name, state) => log.onState?.(name, state));
  return { carrier: routing, simulator: sim, status: () => routing.status(), upstreams: () => upstreams.map((u) => u.figures()) };
}

const silentLog: CarrierLog = { info: () => undefined, warn: () => undefined, debug: () => undefined };

export function isSimulatorRuleError(err: unknown): err is Error {
  return err instanceof SimulatorRuleError;
}
