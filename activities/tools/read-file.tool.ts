/** The read_file tool: reads a UTF-8 text file from inside the operator's workspace folder. */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { z } from 'zod';
import { parseToolArgs, ToolInputError, truncate } from './tool-error';
import { resolveInWorkspace, workspaceRoot } from './workspace-path';

export interface ReadFileOptions {
  /** The workspace folder (KASAL_TOOLS_FILE_ROOT); undefined turns the tool off. */
  root: string | undefined;
  /** Largest file read at all; bigger files are refused rather than cut. */
  maxBytes: number;
}

const ReadFileArgs = z.strictObject(
  {
    path: z
      .string({
        error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string'),
      })
      .min(1, 'must not be empty')
      .refine((value) => !value.includes('\0'), 'must not contain NUL characters'),
    max_chars: z
      .number({ error: 'must be an integer' })
      .int('must be an integer')
      .min(100, 'must be at least 100')
      .max(200_000, 'must be at most 200000')
      .default(50_000),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'arguments must be an object' : undefined) },
);

export async function readFile(args: unknown, options: ReadFileOptions): Promise<string> {
  const root = await workspaceRoot('read_file', options.root);
  const { path: requested, max_chars: maxChars } = parseToolArgs('read_file', ReadFileArgs, args);
  const real = await resolveInWorkspace(root, requested);

  // stat before open: opening a FIFO or device could block or never end.
  const info = await stat(real);
  if (info.isDirectory()) throw new ToolInputError(`${requested} is a directory, not a file`);
  if (!info.isFile()) throw new ToolInputError(`${requested} is not a regular file`);
  // O_NOFOLLOW: a symlink swapped in since realpath is refused rather than followed.
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const { size } = await handle.stat();
    if (size > options.maxBytes) {
      throw new ToolInputError(
        `${requested} is too large: ${size} bytes, and read_file reads at most ${options.maxBytes}`,
      );
    }
    const bytes = Buffer.alloc(size);
    const { bytesRead } = await handle.read(bytes, 0, size, 0);
    return truncate(decodeText(requested, bytes.subarray(0, bytesRead)), maxChars);
  } finally {
    await handle.close();
  }
}

function decodeText(requested: string, bytes: Buffer): string {
  const binary = new ToolInputError(`${requested} is a binary file, not UTF-8 text`);
  if (bytes.includes(0)) throw binary;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw binary;
  }
}
