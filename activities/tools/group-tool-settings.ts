/** A group's settings of one built-in tool as a call needs them: enabled, secrets opened. */
import { openMap, type SecretBox } from '../../shared/node/crypto/secret-box';
import { GroupToolEntity } from '../../shared/node/db/entities';
import type { Orm } from '../../shared/node/db/orm';

export interface GroupToolState {
  enabled: boolean;
  secrets: Record<string, string>;
}

export async function loadGroupToolState(
  orm: Orm,
  secrets: SecretBox,
  groupId: string,
  toolName: string,
): Promise<GroupToolState> {
  const row = await orm.em.fork().findOne(GroupToolEntity, { groupId, toolName });
  return {
    enabled: row?.enabled ?? true,
    secrets: openMap(secrets, row?.secretsEncrypted),
  };
}
