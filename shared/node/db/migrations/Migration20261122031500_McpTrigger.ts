import { Migration } from '@mikro-orm/migrations';

export class Migration20261122031500_McpTrigger extends Migration {
  override name = 'Migration20261122031500_McpTrigger';

  override up(): void | Promise<void> {
    this.addSql(`alter table "executions" drop constraint "executions_trigger_check";`);
    this.addSql(
      `alter table "executions" add constraint "executions_trigger_check" check ("trigger" in ('api', 'schedule', 'mcp'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "executions" drop constraint "executions_trigger_check";`);
    this.addSql(
      `alter table "executions" add constraint "executions_trigger_check" check ("trigger" in ('api', 'schedule'));`,
    );
  }
}
