/** `/tools` (the catalogue), `/group-tools` (a group's tool settings), `/mcp/servers`. */
import { z } from 'zod';
import type { EndpointRouter } from '../http/endpoint';
import { IdParamsSchema } from '../schemas/identity.schema';
import {
  CreateMcpServerSchema,
  GroupToolSettingsSchema,
  McpServerSchema,
  McpServerTestSchema,
  ToolNameParamsSchema,
  ToolSchema,
  UpdateGroupToolSchema,
  UpdateMcpServerSchema,
} from '../schemas/tools.schema';
import type { McpServersService } from '../services/mcp-servers.service';
import type { ToolsService } from '../services/tools.service';

export function addToolsRoutes(endpoints: EndpointRouter, tools: ToolsService): void {
  const tags = ['Tools'];
  endpoints.add({
    method: 'get',
    path: '/tools',
    tags,
    summary: 'The built-in tools: descriptions, argument and settings schemas, group settings',
    access: 'definitions:read',
    response: z.array(ToolSchema),
    handler: ({ req, group }) => tools.catalogue(req.em, group.id),
  });
  endpoints.add({
    method: 'get',
    path: '/tools/:name',
    tags,
    summary: 'One built-in tool (by name or alias)',
    access: 'definitions:read',
    params: ToolNameParamsSchema,
    response: ToolSchema,
    handler: ({ req, group, params }) => tools.get(req.em, group.id, params.name),
  });
  endpoints.add({
    method: 'get',
    path: '/group-tools',
    tags,
    summary: "The group's settings of every built-in tool (secrets are never shown)",
    access: 'definitions:read',
    response: z.array(GroupToolSettingsSchema),
    handler: ({ req, group }) => tools.groupSettings(req.em, group.id),
  });
  endpoints.add({
    method: 'put',
    path: '/group-tools/:name',
    tags,
    summary: 'Enable or disable a tool for the group and set its settings',
    access: 'group:manage',
    params: ToolNameParamsSchema,
    body: UpdateGroupToolSchema,
    subject: 'tool settings',
    response: GroupToolSettingsSchema,
    handler: ({ req, auth, group, params, body }) =>
      tools.update(req.em, group.id, auth, params.name, body),
  });
}

export function addMcpServersRoutes(endpoints: EndpointRouter, servers: McpServersService): void {
  const tags = ['MCP servers'];
  endpoints.add({
    method: 'get',
    path: '/mcp/servers',
    tags,
    summary: "The group's MCP servers",
    access: 'definitions:read',
    response: z.array(McpServerSchema),
    handler: ({ req, group }) => servers.list(req.em, group),
  });
  endpoints.add({
    method: 'post',
    path: '/mcp/servers',
    tags,
    summary: 'Register an MCP server (stdio servers: system administrators only)',
    access: 'group:manage',
    body: CreateMcpServerSchema,
    subject: 'MCP server',
    status: 201,
    response: McpServerSchema,
    errors: { 409: 'An MCP server of this name exists in the group' },
    handler: ({ req, auth, group, body }) => servers.create(req.em, group, auth, body),
  });
  endpoints.add({
    method: 'get',
    path: '/mcp/servers/:id',
    tags,
    summary: 'Get an MCP server',
    access: 'definitions:read',
    params: IdParamsSchema,
    response: McpServerSchema,
    handler: ({ req, group, params }) => servers.get(req.em, group, params.id),
  });
  endpoints.add({
    method: 'patch',
    path: '/mcp/servers/:id',
    tags,
    summary: 'Change an MCP server (credentials are dropped when the URL changes without new ones)',
    access: 'group:manage',
    params: IdParamsSchema,
    body: UpdateMcpServerSchema,
    subject: 'MCP server',
    response: McpServerSchema,
    errors: { 409: 'An MCP server of this name exists in the group' },
    handler: ({ req, auth, group, params, body }) =>
      servers.update(req.em, group, auth, params.id, body),
  });
  endpoints.add({
    method: 'delete',
    path: '/mcp/servers/:id',
    tags,
    summary: 'Delete an MCP server',
    access: 'group:manage',
    params: IdParamsSchema,
    status: 204,
    handler: ({ req, group, params }) => servers.delete(req.em, group.id, params.id),
  });
  endpoints.add({
    method: 'post',
    path: '/mcp/servers/:id/test',
    tags,
    summary: 'Connect to the server and list its tools',
    access: 'group:manage',
    params: IdParamsSchema,
    response: McpServerTestSchema,
    handler: ({ req, auth, group, params }) => servers.test(req.em, group.id, auth, params.id),
  });
}
