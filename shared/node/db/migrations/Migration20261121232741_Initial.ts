import { Migration } from '@mikro-orm/migrations';

export class Migration20261121232741_Initial extends Migration {
  override name = 'Migration20261121232741_Initial';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "agents" ("id" uuid not null, "group_id" uuid not null, "name" varchar(200) null, "spec" jsonb not null, "created_by" uuid not null, "version" int not null default 1, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "agents_group_id_index" on "agents" ("group_id");`);

    this.addSql(
      `create table "api_keys" ("id" uuid not null, "user_id" uuid not null, "name" varchar(200) not null, "prefix" varchar(32) not null, "key_hash" varchar(64) not null, "expires_at" timestamptz null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "api_keys_user_id_index" on "api_keys" ("user_id");`);
    this.addSql(
      `alter table "api_keys" add constraint "api_keys_key_hash_unique" unique ("key_hash");`,
    );

    this.addSql(
      `create table "crews" ("id" uuid not null, "group_id" uuid not null, "name" varchar(200) null, "spec" jsonb not null, "created_by" uuid not null, "version" int not null default 1, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "crews_group_id_index" on "crews" ("group_id");`);

    this.addSql(
      `create table "groups" ("id" uuid not null, "name" varchar(200) not null, "personal_owner_id" uuid null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "groups" add constraint "groups_personal_owner_id_unique" unique ("personal_owner_id");`,
    );

    this.addSql(
      `create table "group_memberships" ("id" uuid not null, "group_id" uuid not null, "user_id" uuid not null, "role" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `create index "group_memberships_group_id_index" on "group_memberships" ("group_id");`,
    );
    this.addSql(
      `create index "group_memberships_user_id_index" on "group_memberships" ("user_id");`,
    );
    this.addSql(
      `alter table "group_memberships" add constraint "group_memberships_group_id_user_id_unique" unique ("group_id", "user_id");`,
    );

    this.addSql(
      `create table "tasks" ("id" uuid not null, "group_id" uuid not null, "name" varchar(200) null, "spec" jsonb not null, "created_by" uuid not null, "version" int not null default 1, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "tasks_group_id_index" on "tasks" ("group_id");`);

    this.addSql(
      `create table "users" ("id" uuid not null, "email" varchar(320) not null, "display_name" varchar(200) not null, "password_hash" varchar(512) null, "is_system_admin" boolean not null default false, "auth_provider" text not null default 'local', "disabled" boolean not null default false, "last_login_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);

    this.addSql(
      `alter table "group_memberships" add constraint "group_memberships_role_check" check ("role" in ('admin', 'editor', 'operator', 'viewer'));`,
    );

    this.addSql(
      `alter table "users" add constraint "users_auth_provider_check" check ("auth_provider" in ('local', 'external'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "agents" cascade;`);
    this.addSql(`drop table if exists "api_keys" cascade;`);
    this.addSql(`drop table if exists "crews" cascade;`);
    this.addSql(`drop table if exists "groups" cascade;`);
    this.addSql(`drop table if exists "group_memberships" cascade;`);
    this.addSql(`drop table if exists "tasks" cascade;`);
    this.addSql(`drop table if exists "users" cascade;`);
  }
}
