// What opt-out settings are and how they combine: the `optOut` object as the config file writes it
// (top level and per application) and as the admin API takes it for an application. An
// application's settings go over the global ones, which go over the built-in defaults (keywords.ts).
import { z } from 'zod';
import {
  DEFAULT_KEYWORD_LANGUAGES,
  DEFAULT_KEYWORDS,
  DEFAULT_REPLIES,
  KEYWORD_CLASSES,
  normalizeKeyword,
  OPT_OUT_SCOPES,
  type KeywordClass,
  type OptOutSettings,
} from './keywords.js';

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

const normalizeAll = (list: readonly string[]) => [...new Set(list.map(normalizeKeyword))];

export const BUILT_IN_SETTINGS: OptOutSettings = {
  enabled: true,
  // As carriers do: a STOP to one number stops that number only.
  scope: 'number',
  keywords: { optOut: normalizeAll(DEFAULT_KEYWORDS.optOut), optIn: normalizeAll(DEFAULT_KEYWORDS.optIn), help: normalizeAll(DEFAULT_KEYWORDS.help) },
  keywordLanguages: DEFAULT_KEYWORD_LANGUAGES,
  defaultLanguage: 'en',
  replies: DEFAULT_REPLIES,
};

/** `over` on `base`: each keyword list given replaces its class's list; languages and replies are merged key by key. */
export function mergeOptOut(base: OptOutSettings, over: OptOutFileConfig | undefined): OptOutSettings {
  if (!over) return base;
  const keywords = { ...base.keywords };
  for (const c of KEYWORD_CLASSES) {
    const list = over.keywords?.[c];
    if (list) keywords[c] = normalizeAll(list);
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

/** A keyword in two classes (the later class named, with `keywords.` before it), if the settings have one. */
export function keywordConflict(settings: OptOutSettings): { path: string; message: string } | undefined {
  const seen = new Map<string, KeywordClass>();
  for (const c of KEYWORD_CLASSES) {
    for (const k of settings.keywords[c]) {
      const other = seen.get(k);
      if (other) return { path: `keywords.${c}`, message: `'${k}' is also a keyword of ${other}` };
      seen.set(k, c);
    }
  }
  return undefined;
}
