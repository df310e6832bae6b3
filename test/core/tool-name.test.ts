import { describe, expect, it } from 'vitest';
import { canonicalToolName, toolNameProblem } from '../../src/core/tool-name.js';

describe('canonicalToolName', () => {
  it.each([
    ['delet\u0435_file'],
    ['delete\u200b_file'],
    ['\uff44\uff45\uff4c\uff45\uff54\uff45_\uff46\uff49\uff4c\uff45'],
    ['DELETE_FILE'],
    ['delete_file '],
    ['delete_file\u0000'],
    ['delete_fil\u00e9'],
    ['delete_file\u0301'],
    ['d\u0435l\u0435t\u0435_f\u0456l\u0435'],
    ['delete_f\u03b9le'],
    ['DELET\u0395_FILE'],
    ['delete\u00ad_file'],
    ['\u200fdelete_file\ufeff'],
  ])('%j has the canonical form of delete_file', (name) => {
    expect(canonicalToolName(name)).toBe('delete_file');
  });

  it('keeps distinct plain names distinct', () => {
    expect(canonicalToolName('send_email')).not.toBe(canonicalToolName('send_emails'));
    expect(canonicalToolName('fs.read')).toBe('fs.read');
  });
});

describe('toolNameProblem', () => {
  it('accepts plain identifiers', () => {
    for (const name of ['send_email', 'sendEmail', 'fs.read', 'github:create_issue', 'mcp/tool', 'a-b', 'X9']) expect(toolNameProblem(name)).toBeNull();
  });
  it.each([
    ['delet\u0435_file', /U\+0435/],
    ['delete\u200b_file', /invisible/],
    ['\uff44elete', /compatibility/],
    ['delete_file ', /space/],
    [' delete_file', /space/],
    ['delete_file\u0000', /control/],
    ['delete_file\u0301', /combining/],
    ['delete file', /space/],
    ['rm;x', /U\+003B/],
  ])('%j is not plain', (name, why) => {
    expect(toolNameProblem(name)).toMatch(why);
  });
});
