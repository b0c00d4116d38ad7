// Opt-out, opt-in and help keywords (CTIA / carrier practice in the US and Canada). A message is a
// keyword when its whole text, trimmed, case-folded, without accents and without trailing
// punctuation, is one of the configured words: "Stop." and "stop" are, "STOP please" is not.

export type KeywordClass = 'optOut' | 'optIn' | 'help';
export const KEYWORD_CLASSES: readonly KeywordClass[] = ['optOut', 'optIn', 'help'];

/** Where a block applies: sends from the receiving number, from its application, or from its account. */
export type OptOutScope = 'number' | 'application' | 'account';
export const OPT_OUT_SCOPES: readonly OptOutScope[] = ['number', 'application', 'account'];

/** The effective settings of one application (global settings with the application's own over them). */
export interface OptOutSettings {
  readonly enabled: boolean;
  readonly scope: OptOutScope;
  /** Normalised keywords of each class (normalizeKeyword). */
  readonly keywords: Readonly<Record<KeywordClass, readonly string[]>>;
  /** Normalised keyword → language of its reply; other keywords are answered in `defaultLanguage`. */
  readonly keywordLanguages: Readonly<Record<string, string>>;
  readonly defaultLanguage: string;
  /** Reply texts per language and class; English is always complete. */
  readonly replies: Readonly<Record<string, Readonly<Partial<Record<KeywordClass, string>>>>>;
}

export interface OptOutPolicy {
  settingsFor(accountId: string, applicationId: string): OptOutSettings;
}

// AWS End User Messaging's opt-out words, Telnyx's STOPALL / "STOP ALL"; START and UNSTOP opt back in.
export const DEFAULT_KEYWORDS: Readonly<Record<KeywordClass, readonly string[]>> = {
  optOut: ['ARRET', 'CANCEL', 'END', 'OPT-OUT', 'OPTOUT', 'QUIT', 'REMOVE', 'STOP', 'STOPALL', 'STOP ALL', 'TD', 'UNSUBSCRIBE'],
  optIn: ['START', 'UNSTOP'],
  help: ['HELP', 'INFO'],
};

export const DEFAULT_KEYWORD_LANGUAGES: Readonly<Record<string, string>> = { ARRET: 'fr' };

export const DEFAULT_REPLIES: Readonly<Record<string, Readonly<Record<KeywordClass, string>>>> = {
  en: {
    optOut: 'You have been unsubscribed and will receive no further messages from this number. Reply START to resubscribe.',
    optIn: 'You have been resubscribed and will receive messages from this number again. Reply STOP to unsubscribe.',
    help: 'Reply STOP to unsubscribe or START to resubscribe. Msg & data rates may apply.',
  },
  fr: {
    optOut: 'Vous êtes désabonné et ne recevrez plus de messages de ce numéro. Répondez START pour vous réabonner.',
    optIn: 'Vous êtes réabonné et recevrez de nouveau les messages de ce numéro. Répondez ARRET pour vous désabonner.',
    help: 'Répondez ARRET pour vous désabonner ou START pour vous réabonner. Des frais de messagerie peuvent s’appliquer.',
  },
};

/** Trimmed, upper-cased, accents removed (ARRÊT is ARRET), inner spaces collapsed, trailing punctuation dropped. */
export function normalizeKeyword(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toUpperCase()
    .replace(/[\p{P}\s]+$/u, '')
    .trim()
    .replace(/\s+/g, ' ');
}

export interface Keyword {
  keywordClass: KeywordClass;
  /** The keyword as configured (normalised). */
  keyword: string;
}

/** The class of a message's text, if its whole text is a keyword. */
export function classify(text: string | undefined, settings: OptOutSettings): Keyword | undefined {
  if (text === undefined || text.length > 64) return undefined;
  const normalized = normalizeKeyword(text);
  if (normalized === '') return undefined;
  for (const keywordClass of KEYWORD_CLASSES) {
    if (settings.keywords[keywordClass].includes(normalized)) return { keywordClass, keyword: normalized };
  }
  return undefined;
}

/** The reply to a keyword: in its language when there is one, else the default language, else English. */
export function replyText(settings: OptOutSettings, keyword: Keyword): string {
  const language = settings.keywordLanguages[keyword.keyword] ?? settings.defaultLanguage;
  return (
    settings.replies[language]?.[keyword.keywordClass] ??
    settings.replies[settings.defaultLanguage]?.[keyword.keywordClass] ??
    settings.replies.en?.[keyword.keywordClass] ??
    (DEFAULT_REPLIES.en as Record<KeywordClass, string>)[keyword.keywordClass]
  );
}
