/** Workspace (group) roles and what each may do. */
export const GROUP_ROLES = ['admin', 'editor', 'operator', 'viewer'] as const;
export type GroupRole = (typeof GROUP_ROLES)[number];

export type Permission =
  'definitions:read' | 'definitions:write' | 'executions:run' | 'group:manage';

const PERMISSIONS: Record<GroupRole, readonly Permission[]> = {
  admin: ['definitions:read', 'definitions:write', 'executions:run', 'group:manage'],
  editor: ['definitions:read', 'definitions:write', 'executions:run'],
  operator: ['definitions:read', 'executions:run'],
  viewer: ['definitions:read'],
};

export function roleAllows(role: GroupRole, permission: Permission): boolean {
  return PERMISSIONS[role].includes(permission);
}

/** True when going from `from` to `to` (null: no membership) takes away any permission. */
export function losesPermissions(from: GroupRole, to: GroupRole | null): boolean {
  return PERMISSIONS[from].some((permission) => to === null || !roleAllows(to, permission));
}
