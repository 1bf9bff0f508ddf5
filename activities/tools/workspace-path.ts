/**
 * The workspace guard the file tools share: every path an agent gives is resolved inside the
 * operator's workspace folder (KASAL_TOOLS_FILE_ROOT), and symlinks are judged by where they
 * really lead. Messages name only the path the agent gave: the workspace's location stays private.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { ToolInputError } from './tool-error';

/** The real path of the workspace folder, or a ToolInputError saying why the tool is off. */
export async function workspaceRoot(tool: string, root: string | undefined): Promise<string> {
  if (root === undefined) {
    throw new ToolInputError(
      `${tool} is not enabled: the operator has not configured KASAL_TOOLS_FILE_ROOT`,
    );
  }
  return realpath(root).catch(() => {
    throw new ToolInputError(`${tool} is not available: the workspace folder does not exist`);
  });
}

/**
 * The real path of `requested` (relative to the real workspace root, or absolute), refused with
 * a ToolInputError when it does not exist or when it, or a symlink on the way, leads outside.
 */
export async function resolveInWorkspace(root: string, requested: string): Promise<string> {
  const outside = new ToolInputError(`${requested} is outside the workspace folder`);
  // Checked before touching the disk too, so nothing reveals what exists outside the root.
  const target = path.resolve(root, requested);
  if (!isInside(root, target)) throw outside;
  const real = await realpath(target).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ToolInputError(`${requested} does not exist`);
    }
    throw error;
  });
  // The real path settles symlinks, which may lead anywhere.
  if (!isInside(root, real)) throw outside;
  return real;
}

/** True when target is root itself or somewhere below it (both already absolute). */
export function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return (
    relative === '' ||
    (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
  );
}
