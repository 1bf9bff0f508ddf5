/** What the middleware attaches to each request. */
import type { EntityManager } from '@mikro-orm/core';
import type { GroupRole } from '../../shared/roles';
import type { User } from '../../shared/node/db/entities';

export interface AuthContext {
  user: User;
  /** How the caller proved who they are. */
  method: 'jwt' | 'external_jwt' | 'api_key';
}

export interface GroupContext {
  id: string;
  role: GroupRole;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** An EntityManager forked for this request. */
      em: EntityManager;
      auth?: AuthContext;
      group?: GroupContext;
    }
  }
}
