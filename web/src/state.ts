// What the page knows about the signed-in session (never a credential) and which account it shows.
export interface Application {
  id: string;
  name: string;
  callbackUrl: string | null;
  numbers: string[];
  /** Outbound SMS text goes through smart encoding (compose counts both ways). */
  smartEncoding?: boolean;
}
export interface SessionInfo {
  principal: { kind: 'admin' } | { kind: 'account'; accountId: string; username: string };
  csrf: string;
  simulator: boolean;
  accounts: Array<{ id: string; applications: Application[] }>;
}

export const state: { session: SessionInfo | undefined; accountId: string; refresh: (() => void) | undefined } = {
  session: undefined,
  accountId: '',
  refresh: undefined,
};

export function currentAccount(): SessionInfo['accounts'][number] | undefined {
  return state.session?.accounts.find((a) => a.id === state.accountId);
}

export function navigate(path: string): void {
  history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/**
 * Local media of an account, as the console (with its session) can show it. Only Pigeon's own media
 * with an image name is shown as an image; the server serves it inline only when its stored type is
 * a passive image. Media elsewhere is only a link, never fetched by the page.
 */
export function mediaHref(url: string): { href: string; image: boolean } {
  const m = /\/users\/([^/]+)\/media\/(.+)$/.exec(new URL(url, location.href).pathname);
  const local = m !== null && new URL(url, location.href).host === location.host;
  const href = local ? `/console/api/accounts/${m[1]}/media/${m[2]}` : url;
  return { href, image: local && /\.(png|jpe?g|gif|webp)$/i.test(url) };
}
