import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFile, type ReadFileOptions } from '../../../activities/tools/read-file.tool';
import { ToolInputError } from '../../../activities/tools/tool-error';

let root: string;
let options: ReadFileOptions;

beforeAll(() => {
  const outside = mkdtempSync(path.join(tmpdir(), 'kasal-read-file-'));
  root = path.join(outside, 'workspace');
  mkdirSync(path.join(root, 'notes'), { recursive: true });
  writeFileSync(path.join(outside, 'secret.txt'), 'top secret');
  writeFileSync(path.join(root, 'notes', 'hello.txt'), 'Hello, world \u263a\n');
  writeFileSync(path.join(root, 'long.txt'), 'y'.repeat(500));
  writeFileSync(path.join(root, 'big.txt'), 'z'.repeat(2000));
  writeFileSync(path.join(root, 'image.bin'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]));
  writeFileSync(path.join(root, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
  symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'escape.txt'));
  symlinkSync(path.join(root, 'notes', 'hello.txt'), path.join(root, 'alias.txt'));
  options = { root, maxBytes: 1000 };
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ToolInputError);
  const { message } = error as ToolInputError;
  expect(message).not.toContain(root);
  return message;
}

describe('readFile', () => {
  it('reads a text file relative to the workspace', async () => {
    await expect(readFile({ path: 'notes/hello.txt' }, options)).resolves.toBe(
      'Hello, world \u263a\n',
    );
    await expect(readFile({ path: './notes/../notes/hello.txt' }, options)).resolves.toContain(
      'Hello',
    );
  });

  it('follows a symlink that stays inside the workspace', async () => {
    await expect(readFile({ path: 'alias.txt' }, options)).resolves.toContain('Hello');
  });

  it('truncates to max_chars and says so', async () => {
    await expect(readFile({ path: 'long.txt', max_chars: 100 }, options)).resolves.toBe(
      `${'y'.repeat(100)}\n[truncated at 100 characters]`,
    );
  });

  it('refuses to climb out with ../', async () => {
    expect(await refusal(readFile({ path: '../secret.txt' }, options))).toBe(
      '../secret.txt is outside the workspace folder',
    );
    expect(await refusal(readFile({ path: '/etc/passwd' }, options))).toMatch(/outside/);
  });

  it('refuses a symlink that points outside', async () => {
    expect(await refusal(readFile({ path: 'escape.txt' }, options))).toBe(
      'escape.txt is outside the workspace folder',
    );
  });

  it('refuses directories', async () => {
    expect(await refusal(readFile({ path: 'notes' }, options))).toBe(
      'notes is a directory, not a file',
    );
  });

  it('refuses files larger than maxBytes', async () => {
    expect(await refusal(readFile({ path: 'big.txt' }, options))).toMatch(
      /big\.txt is too large: 2000 bytes, and read_file reads at most 1000/,
    );
  });

  it('refuses binary and non-UTF-8 files', async () => {
    expect(await refusal(readFile({ path: 'image.bin' }, options))).toBe(
      'image.bin is a binary file, not UTF-8 text',
    );
    expect(await refusal(readFile({ path: 'latin1.txt' }, options))).toMatch(/not UTF-8 text/);
  });

  it('says when a file does not exist, naming only the relative path', async () => {
    expect(await refusal(readFile({ path: 'notes/missing.txt' }, options))).toBe(
      'notes/missing.txt does not exist',
    );
  });

  it('refuses when no workspace folder is configured', async () => {
    expect(
      await refusal(readFile({ path: 'notes/hello.txt' }, { root: undefined, maxBytes: 1000 })),
    ).toBe('read_file is not enabled: the operator has not configured KASAL_TOOLS_FILE_ROOT');
  });

  it('explains bad arguments', async () => {
    expect(await refusal(readFile({}, options))).toBe(
      'Invalid arguments for read_file: path is required',
    );
    expect(await refusal(readFile({ path: '' }, options))).toMatch(/path must not be empty/);
    expect(await refusal(readFile({ path: 'a.txt', max_chars: 1e6 }, options))).toMatch(
      /max_chars must be at most 200000/,
    );
  });
});
