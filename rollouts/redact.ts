/**
 * A URL as it may appear in logs and Events: the password of its userinfo and the values of its query
 * parameters (where webhook and alert URLs carry credentials: `https://user:pass@host/`,
 * `?token=...`) replaced by `***`. Not a URL: a placeholder, never the text itself.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '<invalid URL>';
  }
  if (u.password !== '') u.password = '***';
  if (u.search !== '') {
    const names = [...u.searchParams.keys()];
    u.search = names.map((n) => `${encodeURIComponent(n)}=***`).join('&');
  }
  return u.href;
}
