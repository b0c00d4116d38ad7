// Errors of the Numbers API as Bandwidth reports them: an HTTP status, a numeric ErrorCode and a
// Description; the HTTP layer writes them into the resource's response document
// (`<…Response><ResponseStatus><ErrorCode>…`). Codes Bandwidth documents are used as such (4000 for
// a bad search, 5005 for a number that cannot be ordered); the others are Pigeon's, one per cause,
// listed in the README.

export class NumbersError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    description: string,
  ) {
    super(description);
    this.name = 'NumbersError';
  }
}

export const CODES = {
  invalidField: 1001,
  malformedDocument: 1002,
  searchInvalid: 4000,
  numberUnavailable: 5005,
  notEnoughNumbers: 5006,
  siteNotFound: 12001,
  siteHoldsNumbers: 12002,
  peerNotFound: 13001,
  peerHoldsNumbers: 13002,
  featureNotFound: 13003,
  featureExists: 13004,
  applicationNotFound: 14001,
  applicationLinked: 14002,
  unsupportedServiceType: 14003,
  orderNotFound: 15001,
  numberNotFound: 16001,
  disconnectNotFound: 16002,
} as const;

export const numbersErrors = {
  invalid: (description: string) => new NumbersError(400, CODES.invalidField, description),
  missing: (field: string) => new NumbersError(400, CODES.invalidField, `${field} is required`),
  malformed: (description: string) => new NumbersError(400, CODES.malformedDocument, description),
  notFound: (code: number, description: string) => new NumbersError(404, code, description),
  conflict: (code: number, description: string) => new NumbersError(409, code, description),
};
