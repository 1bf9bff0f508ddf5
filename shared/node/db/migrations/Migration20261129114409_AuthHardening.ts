import { Migration } from '@mikro-orm/migrations';

export class Migration20261129114409_AuthHardening extends Migration {
  override name = 'Migration20261129114409_AuthHardening';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "group_invitations" ("id" uuid not null, "group_id" uuid not null, "email" varchar(320) not null, "role" text not null, "invited_by" uuid not null, "expires_at" timestamptz not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `create index "group_invitations_group_id_index" on "group_invitations" ("group_id");`,
    );
    this.addSql(`create index "group_invitations_email_index" on "group_invitations" ("email");`);
    this.addSql(
      `alter table "group_invitations" add constraint "group_invitations_group_id_email_unique" unique ("group_id", "email");`,
    );

    this.addSql(
      `create table "login_throttles" ("key" varchar(400) not null, "failures" int not null, "window_started_at" bigint not null, "locked_until" bigint not null, "lockouts" int not null, primary key ("key"));`,
    );

    this.addSql(`alter table "users" add "token_version" int not null default 0;`);

    this.addSql(
      `alter table "group_invitations" add constraint "group_invitations_role_check" check ("role" in ('admin', 'editor', 'operator', 'viewer'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "group_invitations" cascade;`);
    this.addSql(`drop table if exists "login_throttles" cascade;`);

    this.addSql(`alter table "users" drop column "token_version";`);
  }
}
