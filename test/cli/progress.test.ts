import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../../src/cli/progress.js';

function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  return { stream: { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream, written };
}

describe('ProgressBar', () => {
  it('draws on a terminal, at most ten times a second, and clears itself', () => {
    const { stream, written } = fakeStream(true);
    const bar = new ProgressBar('verifying', stream);
    bar.update(0, 1000);
    bar.update(10, 1000); // within 100 ms of the last draw: skipped
    bar.update(1000, 1000); // the end is always drawn
    expect(written).toHaveLength(2);
    expect(written[1]).toBe('\rverifying [##############################] 100%  1,000/1,000');
    bar.done();
    expect(written[2]).toBe('\r\u001b[2K');
  });

  it('draws nothing when the output is not a terminal (pipes, files, CI logs)', () => {
    const { stream, written } = fakeStream(false);
    const bar = new ProgressBar('verifying', stream);
    bar.update(500, 1000);
    bar.done();
    expect(written).toEqual([]);
  });
});
