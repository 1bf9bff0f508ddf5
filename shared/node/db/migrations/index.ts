/** Postgres migrations in the order they apply. Add each new migration here. */
import { Migration20261121232741_Initial } from './Migration20261121232741_Initial';
import { Migration20261121235730_Executions } from './Migration20261121235730_Executions';
import { Migration20261122002455_FlowsAndApprovals } from './Migration20261122002455_FlowsAndApprovals';
import { Migration20261122004145_Events } from './Migration20261122004145_Events';
import { Migration20261122015313_ModelPrices } from './Migration20261122015313_ModelPrices';
import { Migration20261122023358_ToolsAndMcpServers } from './Migration20261122023358_ToolsAndMcpServers';
import { Migration20261122031500_McpTrigger } from './Migration20261122031500_McpTrigger';
import { Migration20261122031600_Schedules } from './Migration20261122031600_Schedules';
import { Migration20261129084336_HistoryBudget } from './Migration20261129084336_HistoryBudget';
import { Migration20261129114328_ModelPrivateNetworks } from './Migration20261129114328_ModelPrivateNetworks';
import { Migration20261129114409_AuthHardening } from './Migration20261129114409_AuthHardening';
import { Migration20261129121009_StructuredOutput } from './Migration20261129121009_StructuredOutput';

export const MIGRATIONS = [
  { name: 'Migration20261121232741_Initial', class: Migration20261121232741_Initial },
  { name: 'Migration20261121235730_Executions', class: Migration20261121235730_Executions },
  {
    name: 'Migration20261122002455_FlowsAndApprovals',
    class: Migration20261122002455_FlowsAndApprovals,
  },
  { name: 'Migration20261122004145_Events', class: Migration20261122004145_Events },
  { name: 'Migration20261122015313_ModelPrices', class: Migration20261122015313_ModelPrices },
  {
    name: 'Migration20261122023358_ToolsAndMcpServers',
    class: Migration20261122023358_ToolsAndMcpServers,
  },
  { name: 'Migration20261122031500_McpTrigger', class: Migration20261122031500_McpTrigger },
  { name: 'Migration20261122031600_Schedules', class: Migration20261122031600_Schedules },
  { name: 'Migration20261129084336_HistoryBudget', class: Migration20261129084336_HistoryBudget },
  {
    name: 'Migration20261129114328_ModelPrivateNetworks',
    class: Migration20261129114328_ModelPrivateNetworks,
  },
  { name: 'Migration20261129114409_AuthHardening', class: Migration20261129114409_AuthHardening },
  {
    name: 'Migration20261129121009_StructuredOutput',
    class: Migration20261129121009_StructuredOutput,
  },
];
