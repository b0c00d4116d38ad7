// Reading a request document as the HTTP layer hands it over: XML parsed into plain objects whose
// element names start lower-case (as the official client's parser gives them), text as strings, a
// repeated element as an array. Each getter validates as it reads, naming the element at fault.
import { numbersErrors } from './numbers-error.js';

export type Doc = Record<string, unknown>;

const isDoc = (value: unknown): value is Doc => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The object under `name`, or undefined; anything else there is a 400 naming it. */
export function child(doc: Doc, name: string, label = name): Doc | undefined {
  const value = doc[name];
  if (value === undefined || value === '') return undefined;
  if (!isDoc(value)) throw numbersErrors.invalid(`${label} must be an element with children`);
  return value;
}

/** Text of a single element: undefined when absent or empty; longer than `max`, nested or repeated: a 400. */
export function text(doc: Doc, name: string, options: { required?: boolean; max?: number; label?: string } = {}): string | undefined {
  const label = options.label ?? upperFirst(name);
  const value = doc[name];
  if (value === undefined || value === '') {
    if (options.required) throw numbersErrors.missing(label);
    return undefined;
  }
  if (typeof value !== 'string') throw numbersErrors.invalid(`${label} must be text`);
  if (value.length > (options.max ?? 255)) throw numbersErrors.invalid(`${label} must be at most ${options.max ?? 255} characters`);
  return value;
}

/** The texts of a possibly repeated element. */
export function texts(doc: Doc, name: string, label = upperFirst(name)): string[] {
  const value = doc[name];
  if (value === undefined || value === '') return [];
  const all = Array.isArray(value) ? value : [value];
  if (!all.every((v): v is string => typeof v === 'string')) throw numbersErrors.invalid(`${label} must be text`);
  return all;
}

export function bool(doc: Doc, name: string): boolean | undefined {
  const value = text(doc, name, { max: 5 });
  if (value === undefined) return undefined;
  if (value.toLowerCase() === 'true') return true;
  if (value.toLowerCase() === 'false') return false;
  throw numbersErrors.invalid(`${upperFirst(name)} must be true or false`);
}

export function integer(doc: Doc, name: string, min: number, max: number): number | undefined {
  const value = text(doc, name, { max: 10 });
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw numbersErrors.invalid(`${upperFirst(name)} must be a whole number from ${min} to ${max}`);
  return n;
}

/** The request's root element, which must be `name`. */
export function root(body: unknown, name: string): Doc {
  if (!isDoc(body)) throw numbersErrors.malformed(`the request must be an XML document with root element ${upperFirst(name)}`);
  const keys = Object.keys(body);
  const value = body[name];
  if (keys.length !== 1 || value === undefined) throw numbersErrors.malformed(`the root element must be ${upperFirst(name)}`);
  return isDoc(value) ? value : {};
}

/** Simple text children of an element (an address), kept as they came, at most `max` of them. */
export function flatFields(doc: Doc | undefined, label: string, max = 20): Record<string, string> | undefined {
  if (!doc) return undefined;
  const out: Record<string, string> = {};
  const entries = Object.entries(doc);
  if (entries.length > max) throw numbersErrors.invalid(`${label} has too many elements`);
  for (const [key, value] of entries) {
    if (typeof value !== 'string' || value.length > 255) throw numbersErrors.invalid(`${label}.${upperFirst(key)} must be text of at most 255 characters`);
    out[key] = value;
  }
  return out;
}

export const upperFirst = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);
