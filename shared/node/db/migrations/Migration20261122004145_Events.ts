import { Migration } from '@mikro-orm/migrations';

export class Migration20261122004145_Events extends Migration {
  override name = 'Migration20261122004145_Events';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "execution_events" ("id" serial primary key, "key" varchar(300) not null, "execution_id" uuid not null, "group_id" uuid not null, "type" varchar(64) not null, "task_key" varchar(200) null, "parent_key" varchar(300) null, "title" varchar(500) not null, "data" jsonb not null, "duration_ms" int null, "occurred_at" timestamptz not null);`,
    );
    this.addSql(
      `alter table "execution_events" add constraint "execution_events_key_unique" unique ("key");`,
    );
    this.addSql(
      `create index "execution_events_execution_id_id_index" on "execution_events" ("execution_id", "id");`,
    );
    this.addSql(
      `create index "execution_events_group_id_id_index" on "execution_events" ("group_id", "id");`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "execution_events" cascade;`);
  }
}
