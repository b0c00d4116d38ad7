// The outbound endpoints as the admin API shows them: each callback URL's circuit (healthy, or
// failing since when, when it is probed next) and its backlog, with times also as ISO strings.
import type { DeliveryStore, EndpointStatus } from '../ports.js';

export type EndpointView = EndpointStatus & { failingSinceIso: string | undefined; nextProbeAtIso: string | undefined };

const iso = (time: number | undefined) => (time === undefined ? undefined : new Date(time).toISOString());

export async function endpointsView(store: DeliveryStore, now: number): Promise<EndpointView[]> {
  const endpoints = await store.listEndpoints(now);
  return endpoints.map((e) => ({ ...e, failingSinceIso: iso(e.failingSince), nextProbeAtIso: iso(e.nextProbeAt) }));
}
