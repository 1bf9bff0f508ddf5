/** What the compiler needs to know of a group's tools: settings and MCP servers, no secrets. */
import type { EntityManager } from '@mikro-orm/core';
import type { GroupToolset } from '../../compiler/tool-resolution';
import { GroupToolEntity, McpServerEntity } from '../db/entities';

export async function loadGroupToolset(em: EntityManager, groupId: string): Promise<GroupToolset> {
  const [tools, servers] = await Promise.all([
    em.find(GroupToolEntity, { groupId }, { fields: ['toolName', 'enabled', 'config'] }),
    em.find(McpServerEntity, { groupId }, { fields: ['id', 'name', 'enabled'] }),
  ]);
  return {
    builtins: new Map(
      tools.map((row) => [row.toolName, { enabled: row.enabled, config: row.config }]),
    ),
    mcpServers: new Map(
      servers.map((server) => [server.name, { id: server.id, enabled: server.enabled }]),
    ),
  };
}
