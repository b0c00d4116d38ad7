// The North American area codes the simulated inventory can draw numbers from, each with the city,
// state, ZIP code, rate center and LATA its numbers report (real places; the numbers are made up).

export interface AreaCodeInfo {
  readonly city: string;
  readonly state: string;
  readonly zip: string;
  readonly rateCenter: string;
  readonly lata: string;
}

export const AREA_CODES: Readonly<Record<string, AreaCodeInfo>> = {
  '919': { city: 'RALEIGH', state: 'NC', zip: '27601', rateCenter: 'RALEIGH', lata: '426' },
  '984': { city: 'DURHAM', state: 'NC', zip: '27701', rateCenter: 'DURHAM', lata: '426' },
  '704': { city: 'CHARLOTTE', state: 'NC', zip: '28202', rateCenter: 'CHARLOTTE', lata: '422' },
  '212': { city: 'NEW YORK CITY', state: 'NY', zip: '10001', rateCenter: 'NWYRCYZN01', lata: '132' },
  '415': { city: 'SAN FRANCISCO', state: 'CA', zip: '94103', rateCenter: 'SNFC CNTRL', lata: '722' },
  '312': { city: 'CHICAGO', state: 'IL', zip: '60601', rateCenter: 'CHICAGO', lata: '358' },
  '303': { city: 'DENVER', state: 'CO', zip: '80202', rateCenter: 'DENVER', lata: '656' },
  '512': { city: 'AUSTIN', state: 'TX', zip: '78701', rateCenter: 'AUSTIN', lata: '558' },
  '206': { city: 'SEATTLE', state: 'WA', zip: '98101', rateCenter: 'SEATTLE', lata: '674' },
  '617': { city: 'BOSTON', state: 'MA', zip: '02108', rateCenter: 'BOSTON', lata: '128' },
};

/** Toll-free prefixes numbers are drawn from. */
export const TOLL_FREE_PREFIXES = ['833', '844', '855', '866', '877', '888'] as const;
