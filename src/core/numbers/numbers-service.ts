// The Numbers API's domain in one object for the HTTP layer: sites, locations, applications,
// the inventory, orders and the account's numbers, sharing one set of dependencies.
import type { DirectoryAdmin } from '../accounts/directory-admin.js';
import { NumbersApplications } from './applications.js';
import type { NumbersDeps } from './context.js';
import { Orders } from './orders.js';
import { Peers } from './peers.js';
import { Sites } from './sites.js';
import { AccountNumbers } from './tns.js';
import { NumberSearch } from './search.js';

export class NumbersService {
  readonly sites: Sites;
  readonly peers: Peers;
  readonly applications: NumbersApplications;
  readonly orders: Orders;
  readonly numbers: AccountNumbers;
  readonly search: NumberSearch;

  constructor(readonly deps: NumbersDeps, admin: DirectoryAdmin) {
    this.sites = new Sites(deps);
    this.peers = new Peers(deps, this.sites);
    this.applications = new NumbersApplications(deps, admin, this.peers);
    this.orders = new Orders(deps, this.sites, this.peers);
    this.numbers = new AccountNumbers(deps);
    this.search = new NumberSearch(deps);
  }
}
