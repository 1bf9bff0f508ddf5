import { Migration } from '@mikro-orm/migrations';

export class Migration20261129114328_ModelPrivateNetworks extends Migration {
  override name = 'Migration20261129114328_ModelPrivateNetworks';

  override up(): void | Promise<void> {
    this.addSql(
      `alter table "model_configs" add "allow_private_networks" boolean not null default false;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "model_configs" drop column "allow_private_networks";`);
  }
}
