import { Migration } from '@mikro-orm/migrations';

export class Migration20261122015313_ModelPrices extends Migration {
  override name = 'Migration20261122015313_ModelPrices';

  override up(): void | Promise<void> {
    this.addSql(`alter table "approvals" drop constraint "approvals_status_check";`);
    this.addSql(
      `alter table "approvals" add constraint "approvals_status_check" check ("status" in ('PENDING', 'APPROVED', 'REJECTED', 'TIMED_OUT', 'CANCELLED'));`,
    );

    this.addSql(
      `alter table "model_configs" add "input_cost_per_million" double precision null, add "output_cost_per_million" double precision null;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "approvals" drop constraint "approvals_status_check";`);
    this.addSql(
      `alter table "approvals" add constraint "approvals_status_check" check ("status" in ('PENDING', 'APPROVED', 'REJECTED', 'TIMED_OUT'));`,
    );

    this.addSql(
      `alter table "model_configs" drop column "input_cost_per_million", drop column "output_cost_per_million";`,
    );
  }
}
