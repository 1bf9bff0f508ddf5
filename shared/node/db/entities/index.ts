import { ApiKeyEntity } from './api-key.entity';
import { AgentEntity, CrewEntity, FlowEntity, TaskEntity } from './definition.entities';
import { ExecutionEventEntity } from './execution-event.entity';
import { ConversationMessageEntity, ExecutionBlobEntity } from './execution-store.entities';
import { ExecutionEntity, ExecutionTaskEntity } from './execution.entities';
import { GroupEntity } from './group.entity';
import { GroupInvitationEntity } from './group-invitation.entity';
import { GroupMembershipEntity } from './group-membership.entity';
import { ApprovalEntity, WebhookEntity } from './hitl.entities';
import { LoginThrottleEntity } from './login-throttle.entity';
import { ModelConfigEntity } from './model-config.entity';
import { ScheduleEntity } from './schedule.entity';
import { GroupToolEntity, McpServerEntity } from './tool.entities';
import { UserEntity } from './user.entity';

export * from './api-key.entity';
export * from './definition.entities';
export * from './execution-event.entity';
export * from './execution-store.entities';
export * from './execution.entities';
export * from './group.entity';
export * from './group-invitation.entity';
export * from './group-membership.entity';
export * from './hitl.entities';
export * from './login-throttle.entity';
export * from './model-config.entity';
export * from './schedule.entity';
export * from './tool.entities';
export * from './user.entity';

export const ALL_ENTITIES = [
  UserEntity,
  GroupEntity,
  GroupMembershipEntity,
  GroupInvitationEntity,
  ApiKeyEntity,
  LoginThrottleEntity,
  AgentEntity,
  TaskEntity,
  CrewEntity,
  FlowEntity,
  ExecutionEntity,
  ExecutionTaskEntity,
  ExecutionEventEntity,
  ExecutionBlobEntity,
  ConversationMessageEntity,
  ModelConfigEntity,
  ApprovalEntity,
  WebhookEntity,
  GroupToolEntity,
  McpServerEntity,
  ScheduleEntity,
];
