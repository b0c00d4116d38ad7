// GET /accounts/{accountId}: the account as the Numbers API shows it (the directory's account; the
// carrier-side fields are fixed, as Pigeon has no porting or reservations).
import type { FastifyInstance } from 'fastify';
import type { NumbersRouteDeps } from './numbers-api.js';
import { callerOf, sendXml } from './numbers-reply.js';

export function accountRoutes(app: FastifyInstance, deps: NumbersRouteDeps): void {
  app.get('/', async (request, reply) => {
    const caller = callerOf(request);
    const name = await deps.numbers.numbers.accountName(caller);
    return sendXml(reply, 'AccountResponse', {
      Account: {
        AccountId: caller.accountId,
        CompanyName: name ?? caller.accountId,
        AccountType: 'Business',
        Tiers: { Tier: 0 },
        ReservationAllowed: false,
        LnpEnabled: false,
      },
    });
  });
}
