// Messaging applications as the Numbers API shows them. They are the live directory's applications
// (the applicationIds the messaging API accepts): created, changed and deleted through the
// directory's own administration (core/accounts/directory-admin.ts), which validates, audits and
// propagates them. Only Messaging-V2 applications exist in Pigeon.
import type { ApplicationRow } from '../accounts/directory-port.js';
import type { DirectoryAdmin } from '../accounts/directory-admin.js';
import { ApiError } from '../errors.js';
import { actorName, type Caller, type NumbersDeps, type PeerDoc } from './context.js';
import { child, root, text, type Doc } from './document.js';
import { CODES, NumbersError, numbersErrors } from './numbers-error.js';
import type { StoredResource } from './numbers-port.js';
import type { Peers } from './peers.js';
import type { SiteDoc } from './sites.js';

export const MESSAGING_SERVICE_TYPE = 'Messaging-V2';

interface AppFields {
  name?: string | undefined;
  callbackUrl?: string | null | undefined;
  callbackUsername?: string | null | undefined;
  callbackPassword?: string | null | undefined;
}

/** The fields of an Application document; `full` (create, PUT): absent ones are required or cleared. */
function appFields(body: unknown, full: boolean): AppFields {
  const doc: Doc = root(body, 'application');
  const serviceType = text(doc, 'serviceType', { required: full, max: 20 });
  if (serviceType !== undefined && serviceType !== MESSAGING_SERVICE_TYPE) {
    throw new NumbersError(400, CODES.unsupportedServiceType, `ServiceType ${serviceType} is not supported: Pigeon serves ${MESSAGING_SERVICE_TYPE} applications only`);
  }
  const creds = child(doc, 'callbackCreds', 'CallbackCreds');
  const userId = creds && text(creds, 'userId', { required: true, max: 1024, label: 'CallbackCreds.UserId' });
  const password = creds && text(creds, 'password', { required: true, max: 1024, label: 'CallbackCreds.Password' });
  const clear = full ? null : undefined;
  return {
    name: text(doc, 'appName', { required: full, max: 50 }),
    callbackUrl: text(doc, 'msgCallbackUrl', { required: full, max: 2048, label: 'MsgCallbackUrl' }) ?? clear,
    callbackUsername: userId ?? clear,
    callbackPassword: password ?? clear,
  };
}

/** The directory's validation errors as the Numbers API reports them. */
function translated(err: unknown): unknown {
  if (!(err instanceof ApiError)) return err;
  const fields = err.fieldErrors?.map((f) => `${f.fieldName}: ${f.description}`).join('; ');
  return new NumbersError(err.status, err.status === 404 ? CODES.applicationNotFound : CODES.invalidField, fields ? `${err.message}: ${fields}` : err.message);
}

/** The fields given (null clears one), as the directory's administration takes them. */
const defined = (fields: AppFields): Record<string, unknown> => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));

export class NumbersApplications {
  constructor(
    private readonly deps: NumbersDeps,
    private readonly admin: DirectoryAdmin,
    private readonly peers: Peers,
  ) {}

  async create(caller: Caller, body: unknown): Promise<ApplicationRow> {
    const fields = appFields(body, true);
    return this.admin.createApplication({ name: actorName(caller) }, { accountId: caller.accountId, ...defined(fields) }).catch((err: unknown) => Promise.reject(translated(err)));
  }

  async get(caller: Caller, id: string): Promise<ApplicationRow> {
    const row = await this.deps.directory.get('application', id);
    if (!row || row.deleted || row.accountId !== caller.accountId) throw numbersErrors.notFound(CODES.applicationNotFound, `Application ${id} not found`);
    return row;
  }

  async list(caller: Caller): Promise<ApplicationRow[]> {
    return this.deps.directory.list('application', { accountId: caller.accountId, limit: 10_000 });
  }

  /** PUT replaces the document (absent credentials are removed); PATCH changes what it names. */
  async update(caller: Caller, id: string, body: unknown, mode: 'put' | 'patch'): Promise<ApplicationRow> {
    await this.get(caller, id);
    const fields = appFields(body, mode === 'put');
    return this.admin.updateApplication({ name: actorName(caller) }, id, defined(fields)).catch((err: unknown) => Promise.reject(translated(err)));
  }

  /** Refused while locations are linked to it (unlink them first), as Bandwidth does. */
  async delete(caller: Caller, id: string): Promise<void> {
    await this.get(caller, id);
    const linked = await this.peers.linkedTo(caller, id);
    if (linked.length > 0) throw numbersErrors.conflict(CODES.applicationLinked, `Application ${id} is associated with ${linked.length} SipPeer(s); remove it from them first`);
    await this.admin.deleteApplication({ name: actorName(caller) }, id).catch((err: unknown) => Promise.reject(translated(err)));
  }

  /** The locations linked to the application, each with its site's name. */
  async associated(caller: Caller, id: string): Promise<Array<{ peer: StoredResource<PeerDoc>; siteName: string | undefined }>> {
    await this.get(caller, id);
    const out = [];
    for (const peer of await this.peers.linkedTo(caller, id)) {
      const site = await this.deps.store.get<SiteDoc>('site', caller.accountId, peer.doc.siteId);
      out.push({ peer, siteName: site?.doc.name });
    }
    return out;
  }
}
