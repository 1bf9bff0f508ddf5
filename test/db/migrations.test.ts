/** The Postgres migrations produce exactly the schema the entities describe. */
import { initORM, prepareSchema } from '../../shared/node/db/orm';
import { createLogger } from '../../shared/node/logger';
import { createTestDatabase } from '../support/databases';

describe('Postgres migrations', () => {
  it('leave no difference between the entities and the database', async () => {
    const database = await createTestDatabase('postgres');
    const config = {
      type: 'postgres' as const,
      url: database.env.DATABASE_URL as string,
      debug: false,
    };
    const orm = await initORM(config, createLogger('silent', 'test'));
    try {
      await prepareSchema(orm, config);
      expect(await orm.migrator.getPending()).toEqual([]);
      // A non-empty diff means an entity changed without a migration: run `npm run migration:create`.
      expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
      await prepareSchema(orm, config); // running again is a no-op
    } finally {
      await orm.close();
      await database.drop();
    }
  });
});
