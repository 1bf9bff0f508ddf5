/** Postgres migrations in the order they apply. Add each new migration here. */
import { Migration20261121232741_Initial } from './Migration20261121232741_Initial';

export const MIGRATIONS = [
  { name: 'Migration20261121232741_Initial', class: Migration20261121232741_Initial },
];
