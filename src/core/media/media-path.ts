// Where a media URL points inside Pigeon's media store: /users/{account}/media/{name}, under any of
// the v2 API's mounts. Shared by the HTTP API (recognising its own media in a send request) and the
// upstream carriers (finding the bytes of a message's media to upload).

// Anchored on the mount prefix and the account segment, so an account id that is itself `media`
// (or a media id containing `/media/`) cannot shift where the media id starts.
const MEDIA_PATH = /^(?:\/api\/v2|\/v2)?\/users\/([^/]+)\/media\/(.*)$/;

/** Splits a raw (still percent-encoded) media path into its account segment and media id. */
export function mediaPathParts(path: string): { account: string; media: string } | undefined {
  const m = MEDIA_PATH.exec(path);
  return m?.[1] === undefined || m[2] === undefined ? undefined : { account: m[1], media: m[2] };
}

/** The account and media name a media URL's path names (decoded), if it has the media path's shape. */
export function mediaRef(url: string): { accountId: string; name: string } | undefined {
  if (!URL.canParse(url)) return undefined;
  const parts = mediaPathParts(new URL(url).pathname);
  if (!parts?.media) return undefined;
  try {
    return { accountId: decodeURIComponent(parts.account), name: decodeURIComponent(parts.media) };
  } catch {
    return undefined;
  }
}
