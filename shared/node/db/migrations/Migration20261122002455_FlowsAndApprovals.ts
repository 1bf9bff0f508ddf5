import { Migration } from '@mikro-orm/migrations';

export class Migration20261122002455_FlowsAndApprovals extends Migration {
  override name = 'Migration20261122002455_FlowsAndApprovals';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "approvals" ("id" uuid not null, "group_id" uuid not null, "execution_id" uuid not null, "workflow_id" varchar(200) not null, "kind" text not null, "gate_from" varchar(200) null, "gate_to" varchar(200) null, "task_key" varchar(200) null, "message" text not null, "subject" text null, "status" text not null, "allowed_approvers" jsonb not null, "require_comment" boolean not null default false, "timeout_action" text null, "expires_at" timestamptz null, "decided_by" uuid null, "decided_by_email" varchar(320) null, "action" text null, "comment" text null, "decided_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "approvals_execution_id_index" on "approvals" ("execution_id");`);
    this.addSql(
      `create index "approvals_group_id_status_index" on "approvals" ("group_id", "status");`,
    );

    this.addSql(
      `create table "flows" ("id" uuid not null, "group_id" uuid not null, "name" varchar(200) null, "spec" jsonb not null, "created_by" uuid not null, "version" int not null default 1, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "flows_group_id_index" on "flows" ("group_id");`);

    this.addSql(
      `create table "webhooks" ("id" uuid not null, "group_id" uuid not null, "name" varchar(200) not null, "url" varchar(2000) not null, "events" jsonb not null, "secret_encrypted" text not null, "enabled" boolean not null default true, "created_by" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "webhooks_group_id_index" on "webhooks" ("group_id");`);

    this.addSql(`alter table "executions" drop constraint "executions_kind_check";`);
    this.addSql(`alter table "executions" drop constraint "executions_status_check";`);
    this.addSql(
      `alter table "executions" add "flow_id" uuid null, add "parent_execution_id" uuid null, add "step_id" varchar(200) null, add "progress" jsonb null;`,
    );
    this.addSql(`create index "executions_flow_id_index" on "executions" ("flow_id");`);
    this.addSql(
      `create index "executions_parent_execution_id_index" on "executions" ("parent_execution_id");`,
    );
    this.addSql(
      `alter table "executions" add constraint "executions_kind_check" check ("kind" in ('crew', 'flow'));`,
    );
    this.addSql(
      `alter table "executions" add constraint "executions_status_check" check ("status" in ('PENDING', 'RUNNING', 'WAITING_FOR_APPROVAL', 'COMPLETED', 'FAILED', 'STOPPED', 'CANCELLED', 'REJECTED'));`,
    );

    this.addSql(
      `alter table "approvals" add constraint "approvals_kind_check" check ("kind" in ('gate', 'task'));`,
    );
    this.addSql(
      `alter table "approvals" add constraint "approvals_status_check" check ("status" in ('PENDING', 'APPROVED', 'REJECTED', 'TIMED_OUT', 'CANCELLED'));`,
    );
    this.addSql(
      `alter table "approvals" add constraint "approvals_timeout_action_check" check ("timeout_action" in ('auto_reject', 'fail'));`,
    );
    this.addSql(
      `alter table "approvals" add constraint "approvals_action_check" check ("action" in ('approve', 'reject', 'retry'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "approvals" cascade;`);
    this.addSql(`drop table if exists "flows" cascade;`);
    this.addSql(`drop table if exists "webhooks" cascade;`);

    this.addSql(`drop index "executions_flow_id_index";`);
    this.addSql(`drop index "executions_parent_execution_id_index";`);
    this.addSql(`alter table "executions" drop constraint "executions_kind_check";`);
    this.addSql(`alter table "executions" drop constraint "executions_status_check";`);
    this.addSql(
      `alter table "executions" drop column "flow_id", drop column "parent_execution_id", drop column "step_id", drop column "progress";`,
    );
    this.addSql(
      `alter table "executions" add constraint "executions_kind_check" check ("kind" in ('crew'));`,
    );
    this.addSql(
      `alter table "executions" add constraint "executions_status_check" check ("status" in ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'STOPPED', 'CANCELLED'));`,
    );
  }
}
