import { Migration } from '@mikro-orm/migrations';

export class Migration20261129121009_StructuredOutput extends Migration {
  override name = 'Migration20261129121009_StructuredOutput';

  override up(): void | Promise<void> {
    this.addSql(`alter table "model_configs" add "supports_structured_output" boolean null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "model_configs" drop column "supports_structured_output";`);
  }
}
