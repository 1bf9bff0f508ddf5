/**
 * MCP tools join a run when it starts: one activity lists the attached servers' tools, and the
 * result (recorded in history) is pinned into the plan the run uses from then on.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { McpAttachment } from '../shared/compiler/tool-resolution';
import type { KasalActivities } from '../shared/contracts/activities';
import { FAILURE_TYPES } from '../shared/errors';
import type { CrewPlan } from '../shared/plan/crew-plan';
import type { PlannedTool, ToolOptions } from '../shared/tools/tool-descriptor';
import { MCP_ACTIVITY } from './activity-options';

const mcp = proxyActivities<Pick<KasalActivities, 'listMcpTools'>>({
  ...MCP_ACTIVITY,
  summary: 'MCP · list tools',
});

const attachmentKey = (attachment: McpAttachment) =>
  JSON.stringify([attachment.server_id, attachment.tools ?? null]);

const invalid = (message: string) =>
  ApplicationFailure.create({ type: FAILURE_TYPES.invalidPlan, nonRetryable: true, message });

/** The plan with every agent's and task's MCP tools added to its tools. */
export async function withMcpTools(plan: CrewPlan, groupId: string): Promise<CrewPlan> {
  const attachments = new Map<string, McpAttachment>();
  for (const holder of [...plan.agents, ...plan.tasks]) {
    for (const attachment of holder.mcp_servers ?? []) {
      attachments.set(attachmentKey(attachment), attachment);
    }
  }
  if (attachments.size === 0) return plan;
  const servers = [...attachments.values()];
  const lists = await mcp.listMcpTools({ groupId, servers });
  const listed = new Map(servers.map((server, index) => [attachmentKey(server), lists[index]]));
  const addTools = <
    T extends {
      key: string;
      tools: PlannedTool[];
      mcp_servers?: McpAttachment[];
      mcp_tool_options?: Record<string, ToolOptions>;
    },
  >(
    holder: T,
    what: string,
  ): T => {
    const tools = [
      ...holder.tools,
      ...(holder.mcp_servers ?? [])
        .flatMap((server) => listed.get(attachmentKey(server)) ?? [])
        .map((tool) => ({
          ...tool,
          ...holder.mcp_tool_options?.[tool.mcp?.tool ?? tool.name],
        })),
    ];
    const names = tools.map((tool) => tool.name);
    const twice = names.find((name, index) => names.indexOf(name) !== index);
    if (twice !== undefined) {
      throw invalid(
        `${what} '${holder.key}' gets two tools named '${twice}': attach only some of a server's tools ({ "name", "tools": [...] })`,
      );
    }
    const offered = new Set(tools.flatMap((tool) => [tool.name, tool.mcp?.tool]));
    const unused = Object.keys(holder.mcp_tool_options ?? {}).find((name) => !offered.has(name));
    if (unused !== undefined) {
      throw invalid(
        `${what} '${holder.key}' sets tool_configs for '${unused}', which none of its MCP servers offers`,
      );
    }
    return { ...holder, tools };
  };
  return {
    ...plan,
    agents: plan.agents.map((agent) => addTools(agent, 'Agent')),
    tasks: plan.tasks.map((task) => addTools(task, 'Task')),
  };
}
