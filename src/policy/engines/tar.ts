import { gunzipSync } from 'node:zlib';

/**
 * Reads the files of a gzipped tar archive (an OPA bundle) into memory. OPA bundles are small
 * ustar archives of regular files, so this reads just that: names (with the ustar prefix) and
 * contents, skipping directories and pax headers. Bounded: at most `maxBytes` unpacked.
 */
export function readTarGz(archive: Buffer, maxBytes = 64 * 1024 * 1024): Map<string, Buffer> {
  const tar = gunzipSync(archive, { maxOutputLength: maxBytes });
  const files = new Map<string, Buffer>();
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const name = field(header, 0, 100);
    const prefix = field(header, 345, 155);
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    if (!Number.isFinite(size) || size < 0) throw new Error('malformed tar header');
    const type = String.fromCharCode(header[156] ?? 0);
    const start = offset + 512;
    if (start + size > tar.length) throw new Error('truncated tar archive');
    if (type === '0' || type === '\0') {
      const path = (prefix ? `${prefix}/${name}` : name).replace(/^\.?\/+/, '');
      files.set(path, tar.subarray(start, start + size));
    }
    offset = start + Math.ceil(size / 512) * 512;
  }
  return files;
}

function field(header: Buffer, start: number, length: number): string {
  const bytes = header.subarray(start, start + length);
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8');
}
