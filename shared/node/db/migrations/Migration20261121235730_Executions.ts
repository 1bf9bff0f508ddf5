import { Migration } from '@mikro-orm/migrations';

export class Migration20261121235730_Executions extends Migration {
  override name = 'Migration20261121235730_Executions';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "executions" ("id" uuid not null, "group_id" uuid not null, "kind" text not null, "crew_id" uuid null, "name" varchar(200) not null, "status" text not null, "trigger" text not null default 'api', "inputs" jsonb not null, "plan" jsonb not null, "workflow_id" varchar(200) not null, "output" text null, "output_json" jsonb null, "error" text null, "usage" jsonb null, "created_by" uuid not null, "started_at" timestamptz null, "finished_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "executions_group_id_index" on "executions" ("group_id");`);
    this.addSql(`create index "executions_crew_id_index" on "executions" ("crew_id");`);
    this.addSql(`create index "executions_status_index" on "executions" ("status");`);
    this.addSql(
      `alter table "executions" add constraint "executions_workflow_id_unique" unique ("workflow_id");`,
    );
    this.addSql(
      `create index "executions_group_id_created_at_index" on "executions" ("group_id", "created_at");`,
    );

    this.addSql(
      `create table "execution_tasks" ("id" uuid not null, "execution_id" uuid not null, "task_key" varchar(200) not null, "position" int not null, "name" varchar(200) null, "agent" varchar(200) null, "status" text not null, "output" text null, "output_json" jsonb null, "error" text null, "usage" jsonb not null, "llm_calls" jsonb not null, "tool_calls" int not null default 0, "delegations" int not null default 0, "started_at" timestamptz null, "finished_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `create index "execution_tasks_execution_id_index" on "execution_tasks" ("execution_id");`,
    );
    this.addSql(
      `alter table "execution_tasks" add constraint "execution_tasks_execution_id_task_key_unique" unique ("execution_id", "task_key");`,
    );

    this.addSql(
      `create table "model_configs" ("id" uuid not null, "group_id" uuid not null, "name" varchar(200) not null, "provider" text not null, "model" varchar(200) not null, "base_url" varchar(2000) null, "api_key_encrypted" text null, "created_by" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "model_configs_group_id_index" on "model_configs" ("group_id");`);
    this.addSql(
      `alter table "model_configs" add constraint "model_configs_group_id_name_unique" unique ("group_id", "name");`,
    );

    this.addSql(
      `alter table "executions" add constraint "executions_kind_check" check ("kind" in ('crew'));`,
    );
    this.addSql(
      `alter table "executions" add constraint "executions_status_check" check ("status" in ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'STOPPED', 'CANCELLED'));`,
    );
    this.addSql(
      `alter table "executions" add constraint "executions_trigger_check" check ("trigger" in ('api', 'schedule'));`,
    );

    this.addSql(
      `alter table "execution_tasks" add constraint "execution_tasks_status_check" check ("status" in ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'STOPPED'));`,
    );

    this.addSql(
      `alter table "model_configs" add constraint "model_configs_provider_check" check ("provider" in ('openai', 'azure', 'databricks', 'ollama', 'vllm', 'openai_compatible'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "executions" cascade;`);
    this.addSql(`drop table if exists "execution_tasks" cascade;`);
    this.addSql(`drop table if exists "model_configs" cascade;`);
  }
}
