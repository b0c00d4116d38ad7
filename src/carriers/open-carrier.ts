// Picks and builds the carrier adapter. Only the simulated carrier exists so far; SMPP comes next
// behind the same CarrierAdapter interface.
import type { Config } from '../config/config.js';
import type { Store } from '../core/ports.js';
import { parseSimulatorConfig, SimulatorRuleError } from './simulator/rules.js';
import { SimulatorCarrier } from './simulator/simulator-carrier.js';

export interface OpenedCarrier {
  carrier: SimulatorCarrier;
  simulator: SimulatorCarrier | undefined;
}

export function openCarrier(
  config: Config,
  store: Store,
  now: () => number,
  onError: (err: unknown) => void,
): OpenedCarrier {
  const simulatorConfig = parseSimulatorConfig(config.simulator ?? {});
  const carrier = new SimulatorCarrier({
    store: store.simulator,
    settings: {
      get: (key) => store.delivery.getSetting(key),
      put: (key, value, time) => store.delivery.putSetting(key, value, time),
    },
    now,
    defaults: simulatorConfig,
    rules: simulatorConfig.rules,
    onError,
  });
  return { carrier, simulator: carrier };
}

export function isSimulatorRuleError(err: unknown): err is Error {
  return err instanceof SimulatorRuleError;
}
