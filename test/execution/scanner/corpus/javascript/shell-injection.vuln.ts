import { exec } from 'node:child_process';
const cp = require('child_process');

export function listDirectory(dir: string): void {
  exec(`ls -la ${dir}`);
  cp.spawn('ls', [dir], { shell: true });
}
