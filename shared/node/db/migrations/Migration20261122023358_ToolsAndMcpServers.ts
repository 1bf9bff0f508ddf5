import { Migration } from '@mikro-orm/migrations';

export class Migration20261122023358_ToolsAndMcpServers extends Migration {
  override name = 'Migration20261122023358_ToolsAndMcpServers';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "group_tools" ("id" uuid not null, "group_id" uuid not null, "tool_name" varchar(200) not null, "enabled" boolean not null default true, "config" jsonb not null, "secrets_encrypted" text null, "secret_keys" jsonb not null, "updated_by" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "group_tools_group_id_index" on "group_tools" ("group_id");`);
    this.addSql(
      `alter table "group_tools" add constraint "group_tools_group_id_tool_name_unique" unique ("group_id", "tool_name");`,
    );

    this.addSql(
      `create table "mcp_servers" ("id" uuid not null, "group_id" uuid not null, "name" varchar(200) not null, "transport" text not null, "command" varchar(2000) null, "args" jsonb not null, "url" varchar(2000) null, "env_encrypted" text null, "env_keys" jsonb not null, "headers_encrypted" text null, "header_names" jsonb not null, "api_key_encrypted" text null, "timeout_seconds" int not null default 60, "enabled" boolean not null default true, "created_by" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "mcp_servers_group_id_index" on "mcp_servers" ("group_id");`);
    this.addSql(
      `alter table "mcp_servers" add constraint "mcp_servers_group_id_name_unique" unique ("group_id", "name");`,
    );

    this.addSql(
      `alter table "mcp_servers" add constraint "mcp_servers_transport_check" check ("transport" in ('stdio', 'streamable-http', 'sse'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "group_tools" cascade;`);
    this.addSql(`drop table if exists "mcp_servers" cascade;`);
  }
}
