import { Migration } from '@mikro-orm/migrations';

export class Migration20261122031600_Schedules extends Migration {
  override name = 'Migration20261122031600_Schedules';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "schedules" ("id" uuid not null, "group_id" uuid not null, "name" varchar(200) not null, "target_kind" text not null, "target_id" uuid not null, "pin" text not null, "snapshot_plan" jsonb null, "pinned_version" int null, "pinned_at" timestamptz null, "inputs" jsonb not null, "cron" varchar(200) null, "interval_seconds" int null, "timezone" varchar(100) not null, "start_at" timestamptz null, "end_at" timestamptz null, "overlap" text not null, "catchup_window_seconds" int null, "jitter_seconds" int not null default 0, "paused" boolean not null default false, "note" text null, "revision" int not null default 1, "sync_state" text not null, "sync_error" text null, "created_by" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "schedules_group_id_index" on "schedules" ("group_id");`);
    this.addSql(`create index "schedules_target_id_index" on "schedules" ("target_id");`);
    this.addSql(
      `create index "schedules_group_id_created_at_index" on "schedules" ("group_id", "created_at");`,
    );

    this.addSql(`alter table "executions" drop constraint "executions_trigger_check";`);
    this.addSql(`alter table "executions" add "schedule_id" uuid null;`);
    this.addSql(`create index "executions_schedule_id_index" on "executions" ("schedule_id");`);
    this.addSql(
      `alter table "executions" add constraint "executions_trigger_check" check ("trigger" in ('api', 'scheduled', 'mcp'));`,
    );

    this.addSql(
      `alter table "schedules" add constraint "schedules_target_kind_check" check ("target_kind" in ('crew', 'flow'));`,
    );
    this.addSql(
      `alter table "schedules" add constraint "schedules_pin_check" check ("pin" in ('latest', 'snapshot'));`,
    );
    this.addSql(
      `alter table "schedules" add constraint "schedules_overlap_check" check ("overlap" in ('skip', 'buffer_one', 'allow_all', 'cancel_other'));`,
    );
    this.addSql(
      `alter table "schedules" add constraint "schedules_sync_state_check" check ("sync_state" in ('creating', 'deleting', 'synced'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "schedules" cascade;`);

    this.addSql(`drop index "executions_schedule_id_index";`);
    this.addSql(`alter table "executions" drop constraint "executions_trigger_check";`);
    this.addSql(`alter table "executions" drop column "schedule_id";`);
    this.addSql(
      `alter table "executions" add constraint "executions_trigger_check" check ("trigger" in ('api', 'schedule', 'mcp'));`,
    );
  }
}
