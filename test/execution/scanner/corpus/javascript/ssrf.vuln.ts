import axios from 'axios';

export async function preview(link: string): Promise<string> {
  const url = `https://${link}/page`;
  const page = await fetch(url);
  await axios.get(link);
  return page.text();
}
