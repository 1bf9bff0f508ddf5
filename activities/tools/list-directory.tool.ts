/**
 * The list_directory tool: lists a folder inside the operator's workspace folder, one entry a
 * line, named relative to the workspace so the agent can pass them on to read_file. Folders end
 * in '/', files show their size. Symlinks are never followed into: one that leads outside the
 * workspace is shown only as `name -> (outside the workspace)`.
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parseToolArgs, ToolInputError } from './tool-error';
import { isInside, resolveInWorkspace, workspaceRoot } from './workspace-path';

export interface ListDirectoryOptions {
  /** The workspace folder (KASAL_TOOLS_FILE_ROOT); undefined turns the tool off. */
  root: string | undefined;
  /** Most entries listed; the rest are left out, with a note saying so. */
  maxEntries: number;
}

const ListDirectoryArgs = z.strictObject(
  {
    path: z
      .string({ error: 'must be a string' })
      .min(1, 'must not be empty')
      .refine((value) => !value.includes('\0'), 'must not contain NUL characters')
      .default('.'),
    recursive: z.boolean({ error: 'must be true or false' }).default(false),
    // Only used when recursive: 1 lists the folder's own entries, 2 their contents too, ...
    max_depth: z
      .number({ error: 'must be an integer' })
      .int('must be an integer')
      .min(1, 'must be at least 1')
      .max(10, 'must be at most 10')
      .default(3),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'arguments must be an object' : undefined) },
);

export async function listDirectory(args: unknown, options: ListDirectoryOptions): Promise<string> {
  const root = await workspaceRoot('list_directory', options.root);
  const {
    path: requested,
    recursive,
    max_depth,
  } = parseToolArgs('list_directory', ListDirectoryArgs, args);
  const real = await resolveInWorkspace(root, requested);
  if (!(await stat(real)).isDirectory()) {
    throw new ToolInputError(`${requested} is a file, not a directory`);
  }
  const top = await entriesOf(real);
  if (top === undefined) throw new ToolInputError(`${requested} cannot be read`);

  const maxDepth = recursive ? max_depth : 1;
  const lines: string[] = [];
  let cut = false;
  const walk = async (entries: Dirent[], dir: string, depth: number) => {
    for (const entry of entries) {
      if (lines.length >= options.maxEntries) {
        cut = true;
        return;
      }
      const full = path.join(dir, entry.name);
      const name = path.relative(root, full);
      if (entry.isDirectory()) {
        // A folder swapped for a symlink since readdir must not lead the walk outside.
        const expand = depth < maxDepth && (await staysInside(root, full));
        const children = expand ? await entriesOf(full) : [];
        lines.push(children === undefined ? `${name}/ (cannot be read)` : `${name}/`);
        if (children?.length) await walk(children, full, depth + 1);
      } else if (entry.isSymbolicLink()) {
        lines.push(await describeLink(root, full, name));
      } else if (entry.isFile()) {
        const info = await lstat(full).catch(() => undefined);
        if (info) lines.push(`${name} (${info.size} bytes)`);
      } else {
        lines.push(`${name} (special file)`);
      }
    }
  };
  await walk(top, real, 1);

  const shown = path.relative(root, real) || '.';
  if (lines.length === 0) return `${shown}/ is empty`;
  if (cut) lines.push(`[truncated at ${options.maxEntries} entries]`);
  return lines.join('\n');
}

/** A folder's entries sorted by name, or undefined when it cannot be read. */
async function entriesOf(dir: string): Promise<Dirent[] | undefined> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'ENOENT') return undefined;
    throw error;
  }
}

async function staysInside(root: string, file: string): Promise<boolean> {
  return realpath(file).then(
    (real) => isInside(root, real),
    () => false,
  );
}

/** Where a symlink leads, if that is inside the workspace; it is never listed into. */
async function describeLink(root: string, full: string, name: string): Promise<string> {
  const target = await realpath(full).catch(() => undefined);
  if (target === undefined) return `${name} -> (broken link)`;
  if (!isInside(root, target)) return `${name} -> (outside the workspace)`;
  const to = path.relative(root, target) || '.';
  const info = await stat(target).catch(() => undefined);
  if (info?.isDirectory()) return `${name}/ -> ${to}/`;
  if (info?.isFile()) return `${name} -> ${to} (${info.size} bytes)`;
  return `${name} -> ${to}`;
}
