/**
 * Deleting a group: every row it owns goes in one transaction (deleteGroupContents), then what
 * lives outside the database: its texts in the object store and its Temporal schedules. Those go
 * after the commit, so a failed commit loses nothing; a failure after it leaves only objects
 * nothing points at (logged) and schedules that start no runs (the schedule sweep removes them).
 */
import type { EntityManager } from '@mikro-orm/core';
import { ScheduleEntity, type Group } from '../../shared/node/db/entities';
import type { Logger } from '../../shared/node/logger';
import type { ObjectStore } from '../../shared/node/store/object-store';
import { conflict } from '../http/errors';
import { deleteGroupContents, type RemovedGroup } from './groups.service';
import type { ScheduleSync } from './schedule-sync';

export class GroupDeletion {
  constructor(
    private readonly deps: {
      sync: ScheduleSync;
      objects?: ObjectStore | undefined;
      logger: Logger;
    },
  ) {}

  /** Deletes a shared group with everything in it (a personal group goes with its user). */
  async deleteGroup(em: EntityManager, group: Group): Promise<void> {
    if (group.personalOwnerId) throw conflict('A personal group cannot be deleted');
    const removed = await em.transactional((tx) => deleteGroupContents(tx, group.id));
    await this.afterCommit(em, removed);
  }

  /** Removes what a committed group deletion left outside the database; never throws. */
  async afterCommit(em: EntityManager, removed: RemovedGroup): Promise<void> {
    const { groupId, objectKeys } = removed;
    if (this.deps.objects && objectKeys.length > 0) {
      await this.deps.objects.delete(objectKeys).catch((error: unknown) => {
        this.deps.logger.warn(
          { err: error, groupId, objects: objectKeys.length },
          "could not delete a deleted group's stored objects; nothing refers to them any more",
        );
      });
    }
    const schedules = await em.fork().find(ScheduleEntity, { groupId, syncState: 'deleting' });
    for (const schedule of schedules) {
      // Deletes the Temporal schedule and the row; when Temporal is unreachable, the sweep will.
      await this.deps.sync.reconcile(em.fork(), schedule).catch((error: unknown) => {
        this.deps.logger.warn(
          { err: error, scheduleId: schedule.id },
          'schedule left to the sweep',
        );
      });
    }
  }
}
