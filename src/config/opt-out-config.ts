// The `optOut` section of pigeon.yaml, at the top level and per application: the application's
// settings go over the global ones, which go over the built-in defaults (core/opt-out/keywords.ts).
import { z } from 'zod';
import {
  DEFAULT_KEYWORD_LANGUAGES,
  DEFAULT_KEYWORDS,
  DEFAULT_REPLIES,
  KEYWORD_CLASSES,
  normalizeKeyword,
  OPT_OUT_SCOPES,
  type KeywordClass,
  type OptOutPolicy,
  type OptOutSettings,
} from '../core/opt-out/keywords.js';

const keyword = z
  .string()
  .max(64)
  .refine((k) => normalizeKeyword(k) !== '', { message: 'must contain a word (punctuation and spaces alone are not a keyword)' });
const keywordList = z.array(keyword).max(100);
const language = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { message: "must be a language tag such as 'en' or 'fr-CA'" });
const reply = z.string().min(1).max(2048);

export const optOutSchema = z.strictObject({
  /** Off: keywords are only passed to the application, and sends are not checked against the list. */
  enabled: z.boolean().optional(),
  scope: z.enum(OPT_OUT_SCOPES as [string, ...string[]]).optional(),
  keywords: z.strictObject({ optOut: keywordList.optional(), optIn: keywordList.optional(), help: keywordList.optional() }).optional(),
  defaultLanguage: language.optional(),
  /** Keyword → language of its reply. */
  keywordLanguages: z.record(keyword, language).optional(),
  replies: z
    .record(language, z.strictObject({ optOut: reply.optional(), optIn: reply.optional(), help: reply.optional() }))
    .optional(),
});

export type OptOutFileConfig = z.infer<typeof optOutSchema>;

/** The resolved settings: global, and per application id. */
export interface OptOutConfig {
  readonly global: OptOutSettings;
  readonly applications: Readonly<Record<string, OptOutSettings>>;
}

/** A keyword in two classes after merging; `path` names the key. */
export class OptOutConfigError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

const normalizeAll = (list: readonly string[]) => [...new Set(list.map(normalizeKeyword))];

function merge(base: OptOutSettings, over: OptOutFileConfig | undefined, path: string): OptOutSettings {
  if (!over) return base;
  const keywords = { ...base.keywords };
  for (const c of KEYWORD_CLASSES) {
    const list = over.keywords?.[c];
    if (list) keywords[c] = normalizeAll(list);
  }
  const seen = new Map<string, KeywordClass>();
  for (const c of KEYWORD_CLASSES) {
    for (const k of keywords[c]) {
      const other = seen.get(k);
      if (other) throw new OptOutConfigError(`${path}.keywords.${c}`, `'${k}' is also a keyword of ${other}`);
      seen.set(k, c);
    }
  }
  const keywordLanguages = { ...base.keywordLanguages };
  for (const [k, lang] of Object.entries(over.keywordLanguages ?? {})) keywordLanguages[normalizeKeyword(k)] = lang;
  const replies: Record<string, Partial<Record<KeywordClass, string>>> = {};
  for (const [lang, texts] of Object.entries(base.replies)) replies[lang] = { ...texts };
  for (const [lang, texts] of Object.entries(over.replies ?? {})) replies[lang] = { ...replies[lang], ...texts };
  return {
    enabled: over.enabled ?? base.enabled,
    scope: (over.scope as OptOutSettings['scope'] | undefined) ?? base.scope,
    keywords,
    keywordLanguages,
    defaultLanguage: over.defaultLanguage ?? base.defaultLanguage,
    replies,
  };
}

const BUILT_IN: OptOutSettings = {
  enabled: true,
  // As carriers do: a STOP to one number stops that number only.
  scope: 'number',
  keywords: { optOut: normalizeAll(DEFAULT_KEYWORDS.optOut), optIn: normalizeAll(DEFAULT_KEYWORDS.optIn), help: normalizeAll(DEFAULT_KEYWORDS.help) },
  keywordLanguages: DEFAULT_KEYWORD_LANGUAGES,
  defaultLanguage: 'en',
  replies: DEFAULT_REPLIES,
};

/** Resolves the settings; throws OptOutConfigError naming the key of a conflict. */
export function resolveOptOutConfig(
  global: OptOutFileConfig | undefined,
  accounts: ReadonlyArray<{ applications: ReadonlyArray<{ id: string; optOut?: OptOutFileConfig | undefined }> }>,
): OptOutConfig {
  const resolved = merge(BUILT_IN, global, 'optOut');
  const applications: Record<string, OptOutSettings> = {};
  accounts.forEach((account, a) =>
    account.applications.forEach((app, p) => {
      if (app.optOut) applications[app.id] = merge(resolved, app.optOut, `accounts[${a}].applications[${p}].optOut`);
    }),
  );
  return { global: resolved, applications };
}

export function optOutPolicy(config: OptOutConfig): OptOutPolicy {
  return { settingsFor: (_accountId, applicationId) => config.applications[applicationId] ?? config.global };
}
