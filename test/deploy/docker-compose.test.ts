/** docker-compose.yml cannot run here (no Docker engine), so its references are checked. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig, resolveEncryptionKey } from '../../shared/node/config';

const root = path.resolve(__dirname, '../..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true });

/** Resolves `${VAR:-default}` / `${VAR:?message}` the way compose does, with `provided` set. */
function interpolate(value: unknown, provided: Record<string, string>): string {
  return String(value).replace(
    /\$\{(\w+)(?::([-?])([^}]*))?\}/g,
    (_match, name: string, op?: string, arg?: string) => {
      const given = provided[name];
      if (given) return given;
      if (op === '?') throw new Error(`${name} must be provided: ${arg}`);
      return arg ?? '';
    },
  );
}

describe('docker-compose.yml', () => {
  it('runs Temporal on Postgres, the Web UI, Postgres, the API and a worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'api',
      'postgresql',
      'temporal',
      'temporal-ui',
      'worker',
    ]);
    expect(compose.services.temporal.environment.DB).toBe('postgres12');
    expect(compose.services['temporal-ui'].environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('references files that exist', () => {
    const build = compose.services.api.build;
    expect(existsSync(path.join(root, build.context))).toBe(true);
    const dockerfile = path.join(root, build.context, build.dockerfile);
    expect(existsSync(dockerfile)).toBe(true);
    for (const line of readFileSync(dockerfile, 'utf8').split('\n')) {
      const copy = /^COPY (?!--from)(.+) \S+$/.exec(line);
      for (const source of copy?.[1]?.split(' ') ?? []) {
        expect({ source, exists: existsSync(path.join(root, source)) }).toEqual({
          source,
          exists: true,
        });
      }
    }
    expect(compose.services.worker.image).toBe(compose.services.api.image);
  });

  it.each(['api', 'worker'])(
    'gives the %s only variables the config module knows, and valid ones',
    (name) => {
      const environment: Record<string, unknown> = compose.services[name].environment;
      for (const variable of Object.keys(environment)) {
        expect(CONFIG_VARIABLES).toContain(variable);
      }
      const provided = { JWT_SECRET: 'x'.repeat(40), KASAL_ENCRYPTION_KEY: 'ab'.repeat(32) };
      const env = Object.fromEntries(
        Object.entries(environment).map(([key, value]) => [key, interpolate(value, provided)]),
      );
      const config = loadConfig(env);
      expect(resolveEncryptionKey(config)).toHaveLength(32);
      expect(config.env).toBe('production');
      expect(config.database.type).toBe('postgres');
      expect(config.temporal.address).toBe('temporal:7233');
    },
  );

  it('makes the API refuse to start without JWT_SECRET', () => {
    expect(() => interpolate(compose.services.api.environment.JWT_SECRET, {})).toThrow(
      /JWT_SECRET/,
    );
  });
});
