import { describe, expect, it } from 'vitest';
import { scanSource, type ScanLanguage } from '../../../src/execution/scanner/index.js';

/** The rule ids found in `text`, in order. */
async function rules(language: ScanLanguage, text: string): Promise<string[]> {
  return (await scanSource({ file: `t.${language}`, language, text })).map((found) => found.ruleId);
}

describe('taint within a function (parameter -> sink)', () => {
  it('JS: a URL from a parameter, directly or through assignments, is a finding; a constant URL is not', async () => {
    expect(await rules('typescript', 'async function f(host: string) { return fetch(host); }')).toEqual(['ssrf']);
    expect(await rules('typescript', 'async function f(host: string) { let u = "x"; u = `https://${host}`; const v = u + "/a"; return fetch(v); }')).toEqual(['ssrf']);
    expect(await rules('typescript', 'async function f(host: string) { return fetch("https://api.example.com/" + "v1"); }')).toEqual([]);
    expect(await rules('typescript', 'const host = process.argv[2]; fetch(host);')).toEqual([]); // no function input: out of scope
  });

  it('JS: destructured parameters are input; a nested function has its own parameters', async () => {
    expect(await rules('javascript', 'const f = async ({ url }) => fetch(url);')).toEqual(['ssrf']);
    expect(await rules('javascript', 'function outer(url) { return () => fetch("https://example.com"); }')).toEqual([]);
  });

  it('JS: a guard counts only when it checks the fetched value before the fetch', async () => {
    expect(await rules('typescript', 'async function f(u: string) { if (!isAllowedUrl(u)) throw 1; return fetch(u); }')).toEqual([]);
    expect(await rules('typescript', 'async function f(u: string, other: string) { if (!isAllowedUrl(other)) throw 1; return fetch(u); }')).toEqual(['ssrf']);
    expect(await rules('typescript', 'async function f(u: string) { const r = await fetch(u); isAllowedUrl(u); return r; }')).toEqual(['ssrf']);
  });

  it('Python: parameters flow through assignments into requests; an allow-list comparison guards', async () => {
    expect(await rules('python', 'import requests\ndef f(host):\n    url = f"https://{host}/x"\n    return requests.post(url)\n')).toEqual(['ssrf']);
    expect(await rules('python', 'import requests\ndef f(host):\n    return requests.get("https://example.com")\n')).toEqual([]);
    expect(await rules('python', 'import requests\ndef f(u):\n    if u not in ALLOWED_URLS:\n        raise ValueError()\n    return requests.get(u)\n')).toEqual([]);
    expect(await rules('python', 'import requests\nclass C:\n    def f(self, u):\n        return requests.get(url=u)\n')).toEqual(['ssrf']);
  });

  it('Python: the HMAC check must come before pickle.loads in the same function', async () => {
    const after = 'import hmac, pickle\ndef f(m, s, k):\n    v = pickle.loads(m)\n    hmac.compare_digest(s, k)\n    return v\n';
    expect(await rules('python', after)).toEqual(['pickle-without-hmac']);
    const elsewhere = 'import hmac, pickle\ndef check(s, k):\n    return hmac.compare_digest(s, k)\ndef f(m):\n    return pickle.loads(m)\n';
    expect(await rules('python', elsewhere)).toEqual(['pickle-without-hmac']);
  });

  it('names are resolved through imports, not matched as text', async () => {
    expect(await rules('python', 'from subprocess import run as go\ndef f(x):\n    go(x, shell=True)\n')).toEqual(['shell-injection']);
    expect(await rules('python', 'def f(x):\n    run(x, shell=True)\n')).toEqual([]); // some other run()
    expect(await rules('javascript', 'const { execSync: sh } = require("node:child_process"); export const f = (d) => sh(`ls ${d}`);')).toEqual(['shell-injection']);
    expect(await rules('javascript', 'const db = { exec(q) { return q; } }; export const f = (d) => db.exec(`select ${d}`);')).toEqual([]);
    expect(await rules('javascript', '// eval(x) in a comment\nconst s = "eval(x) in a string";')).toEqual([]);
  });
});
