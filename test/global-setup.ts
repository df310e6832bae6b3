import { execFileSync } from 'node:child_process';

/** The CLI tests run the built `agt`; build once so they test the current source. */
export default function setup(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
}
