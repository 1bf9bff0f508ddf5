import { Migration } from '@mikro-orm/migrations';

export class Migration20261129084336_HistoryBudget extends Migration {
  override name = 'Migration20261129084336_HistoryBudget';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "conversation_messages" ("key" varchar(200) not null, "conversation_id" varchar(100) not null, "seq" int not null, "execution_id" uuid not null, "group_id" uuid not null, "message" jsonb not null, "response" jsonb null, "created_at" timestamptz not null, primary key ("key"));`,
    );
    this.addSql(
      `create index "conversation_messages_execution_id_index" on "conversation_messages" ("execution_id");`,
    );
    this.addSql(
      `alter table "conversation_messages" add constraint "conversation_messages_conversation_id_seq_unique" unique ("conversation_id", "seq");`,
    );

    this.addSql(
      `create table "execution_blobs" ("key" varchar(300) not null, "execution_id" uuid not null, "group_id" uuid not null, "content" text not null, "object_key" varchar(1000) null, "created_at" timestamptz not null, primary key ("key"));`,
    );
    this.addSql(
      `create index "execution_blobs_execution_id_index" on "execution_blobs" ("execution_id");`,
    );

    this.addSql(`alter table "executions" add "warning" text null;`);

    this.addSql(`alter table "model_configs" add "context_window" int null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "conversation_messages" cascade;`);
    this.addSql(`drop table if exists "execution_blobs" cascade;`);

    this.addSql(`alter table "executions" drop column "warning";`);

    this.addSql(`alter table "model_configs" drop column "context_window";`);
  }
}
