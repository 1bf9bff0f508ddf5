import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  listDirectory,
  type ListDirectoryOptions,
} from '../../../activities/tools/list-directory.tool';
import { ToolInputError } from '../../../activities/tools/tool-error';

let outside: string;
let root: string;
let options: ListDirectoryOptions;

beforeAll(() => {
  outside = mkdtempSync(path.join(tmpdir(), 'kasal-list-dir-'));
  root = path.join(outside, 'workspace');
  mkdirSync(path.join(root, 'docs', 'guides', 'deep', 'deeper'), { recursive: true });
  mkdirSync(path.join(root, 'empty'));
  mkdirSync(path.join(outside, 'private'));
  writeFileSync(path.join(outside, 'secret.txt'), 'top secret');
  writeFileSync(path.join(outside, 'private', 'hidden-name.txt'), 'do not list me');
  writeFileSync(path.join(root, 'readme.md'), 'hello');
  writeFileSync(path.join(root, 'docs', 'intro.md'), 'x'.repeat(1234));
  writeFileSync(path.join(root, 'docs', 'guides', 'setup.md'), 'setup');
  writeFileSync(path.join(root, 'docs', 'guides', 'deep', 'deeper', 'bottom.txt'), '');
  symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'escape.txt'));
  symlinkSync(path.join(outside, 'private'), path.join(root, 'escape-dir'));
  symlinkSync(path.join(root, 'docs'), path.join(root, 'docs-link'));
  symlinkSync(path.join(root, 'readme.md'), path.join(root, 'readme-link.md'));
  symlinkSync(path.join(root, 'nowhere'), path.join(root, 'dangling'));
  options = { root, maxEntries: 100 };
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ToolInputError);
  const { message } = error as ToolInputError;
  expect(message).not.toContain(outside);
  return message;
}

describe('listDirectory', () => {
  it('lists the workspace sorted, folders with a slash, files with their size', async () => {
    await expect(listDirectory({}, options)).resolves.toBe(
      [
        'dangling -> (broken link)',
        'docs/',
        'docs-link/ -> docs/',
        'empty/',
        'escape-dir -> (outside the workspace)',
        'escape.txt -> (outside the workspace)',
        'readme-link.md -> readme.md (5 bytes)',
        'readme.md (5 bytes)',
      ].join('\n'),
    );
  });

  it('names entries of a subfolder relative to the workspace', async () => {
    await expect(listDirectory({ path: 'docs' }, options)).resolves.toBe(
      'docs/guides/\ndocs/intro.md (1234 bytes)',
    );
    await expect(listDirectory({ path: './docs/guides/../guides/' }, options)).resolves.toBe(
      'docs/guides/deep/\ndocs/guides/setup.md (5 bytes)',
    );
    // An absolute path inside the workspace is fine too.
    await expect(listDirectory({ path: path.join(root, 'docs') }, options)).resolves.toContain(
      'docs/intro.md',
    );
  });

  it('lists recursively down to max_depth', async () => {
    await expect(listDirectory({ path: 'docs', recursive: true }, options)).resolves.toBe(
      [
        'docs/guides/',
        'docs/guides/deep/',
        'docs/guides/deep/deeper/',
        'docs/guides/setup.md (5 bytes)',
        'docs/intro.md (1234 bytes)',
      ].join('\n'),
    );
    await expect(
      listDirectory({ path: 'docs', recursive: true, max_depth: 10 }, options),
    ).resolves.toContain('docs/guides/deep/deeper/bottom.txt (0 bytes)');
    await expect(
      listDirectory({ path: 'docs', recursive: true, max_depth: 1 }, options),
    ).resolves.toBe('docs/guides/\ndocs/intro.md (1234 bytes)');
    // max_depth means nothing without recursive.
    await expect(listDirectory({ path: 'docs', max_depth: 5 }, options)).resolves.toBe(
      'docs/guides/\ndocs/intro.md (1234 bytes)',
    );
  });

  it('never lists into symlinks, inside the workspace or out', async () => {
    const text = await listDirectory({ recursive: true, max_depth: 10 }, options);
    expect(text).toContain('escape-dir -> (outside the workspace)');
    expect(text).toContain('docs-link/ -> docs/');
    expect(text).not.toContain('hidden-name');
    expect(text).not.toContain('docs-link/intro.md');
    expect(text.split('\n')).toHaveLength(14);
  });

  it('truncates at maxEntries and says so', async () => {
    await expect(
      listDirectory({ recursive: true, max_depth: 10 }, { root, maxEntries: 3 }),
    ).resolves.toBe('dangling -> (broken link)\ndocs/\ndocs/guides/\n[truncated at 3 entries]');
    // Exactly maxEntries entries: nothing was left out, so no note.
    await expect(listDirectory({ path: 'docs' }, { root, maxEntries: 2 })).resolves.toBe(
      'docs/guides/\ndocs/intro.md (1234 bytes)',
    );
  });

  it('says when a folder is empty', async () => {
    await expect(listDirectory({ path: 'empty' }, options)).resolves.toBe('empty/ is empty');
  });

  it('refuses to climb out with ../ or an absolute path', async () => {
    expect(await refusal(listDirectory({ path: '..' }, options))).toBe(
      '.. is outside the workspace folder',
    );
    expect(await refusal(listDirectory({ path: 'docs/../../private' }, options))).toBe(
      'docs/../../private is outside the workspace folder',
    );
    expect(await refusal(listDirectory({ path: '/etc' }, options))).toBe(
      '/etc is outside the workspace folder',
    );
    await expect(listDirectory({ path: outside }, options)).rejects.toThrow(
      `${outside} is outside the workspace folder`,
    );
  });

  it('refuses a symlink that leads outside, to a folder or a file', async () => {
    expect(await refusal(listDirectory({ path: 'escape-dir' }, options))).toBe(
      'escape-dir is outside the workspace folder',
    );
    expect(await refusal(listDirectory({ path: 'escape-dir/', recursive: true }, options))).toBe(
      'escape-dir/ is outside the workspace folder',
    );
    expect(await refusal(listDirectory({ path: 'escape.txt' }, options))).toBe(
      'escape.txt is outside the workspace folder',
    );
  });

  it('lists a folder reached through an inner symlink under its real name', async () => {
    await expect(listDirectory({ path: 'docs-link' }, options)).resolves.toBe(
      'docs/guides/\ndocs/intro.md (1234 bytes)',
    );
  });

  it('refuses files and missing paths', async () => {
    expect(await refusal(listDirectory({ path: 'readme.md' }, options))).toBe(
      'readme.md is a file, not a directory',
    );
    expect(await refusal(listDirectory({ path: 'missing' }, options))).toBe(
      'missing does not exist',
    );
    expect(await refusal(listDirectory({ path: 'dangling' }, options))).toBe(
      'dangling does not exist',
    );
  });

  it('refuses when no workspace folder is configured', async () => {
    expect(await refusal(listDirectory({}, { root: undefined, maxEntries: 100 }))).toBe(
      'list_directory is not enabled: the operator has not configured KASAL_TOOLS_FILE_ROOT',
    );
  });

  it('explains bad arguments', async () => {
    expect(await refusal(listDirectory({ path: '' }, options))).toBe(
      'Invalid arguments for list_directory: path must not be empty',
    );
    expect(await refusal(listDirectory({ recursive: 'yes' }, options))).toMatch(
      /recursive must be true or false/,
    );
    expect(await refusal(listDirectory({ recursive: true, max_depth: 11 }, options))).toMatch(
      /max_depth must be at most 10/,
    );
    expect(await refusal(listDirectory({ path: 'docs', extra: 1 }, options))).toMatch(
      /Invalid arguments for list_directory/,
    );
    expect(await refusal(listDirectory('docs', options))).toMatch(/arguments must be an object/);
  });
});
