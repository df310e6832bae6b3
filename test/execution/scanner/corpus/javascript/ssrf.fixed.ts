const ALLOWED_HOSTS = new Set(['docs.example.com']);

export async function preview(link: string): Promise<string> {
  const url = new URL(link);
  if (!ALLOWED_HOSTS.has(url.hostname)) throw new Error('host not allowed');
  const page = await fetch(url);
  return page.text();
}
