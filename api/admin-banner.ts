/**
 * Tells the operator how to sign in after the first start. A generated password is written to
 * a private file under KASAL_HOME and shown once on the terminal, never through the log stream.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../shared/node/config';
import type { SeedResult } from './services/seed.service';

export function announceAdmin(config: Pick<Config, 'home'>, seed: SeedResult): void {
  if (!seed.created) return;
  if (!seed.generatedPassword) {
    process.stdout.write(`Created admin ${seed.email} with KASAL_ADMIN_PASSWORD.\n`);
    return;
  }
  const file = path.join(config.home, 'initial-admin-password');
  writeFileSync(file, `${seed.generatedPassword}\n`, { mode: 0o600 });
  process.stdout.write(
    [
      '',
      `  Created admin ${seed.email} with a generated password (shown once):`,
      `    ${seed.generatedPassword}`,
      `  It is also in ${file} (readable only by you); change it, then delete the file.`,
      '',
    ].join('\n'),
  );
}
