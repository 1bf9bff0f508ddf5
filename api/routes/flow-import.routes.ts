/** `POST /flows/import`: a flow exported by Kasal (nodes, edges, flow_config), saved as ours. */
import { z } from 'zod';
import { flowFromKasalExport } from '../../shared/compiler/kasal-flow';
import { FlowSpecSchema } from '../../shared/schemas/flow.schema';
import { CrewEntity } from '../../shared/node/db/entities';
import type { EndpointRouter } from '../http/endpoint';
import { fromZodError } from '../http/error-handler';
import { validationError } from '../http/errors';
import { DefinitionsService, FLOWS, type RunLimits } from '../services/definitions.service';
import { START_TOO_LARGE_ERRORS } from '../services/start-size';

export function addFlowImportRoutes(endpoints: EndpointRouter, limits: RunLimits): void {
  const flows = new DefinitionsService(FLOWS, limits);
  endpoints.add({
    method: 'post',
    path: '/flows/import',
    tags: ['Flows'],
    summary: "Import a flow in Kasal's export shape; crews are matched by id or name",
    description:
      'Features this platform does not support are reported as a 400 naming the field, never dropped silently. Harmless differences come back in `import_notes`.',
    access: 'definitions:write',
    body: z
      .record(z.string(), z.unknown())
      .describe('A Kasal flow export: { name, nodes, edges, flow_config }'),
    subject: 'Kasal flow',
    errors: START_TOO_LARGE_ERRORS,
    status: 201,
    response: z.record(z.string(), z.unknown()),
    handler: async ({ req, auth, group, body }) => {
      const crews = await req.em.find(
        CrewEntity,
        { groupId: group.id },
        { fields: ['id', 'name'] },
      );
      const byName = new Map(crews.map((crew) => [(crew.name ?? '').toLowerCase(), crew.id]));
      const ids = new Set(crews.map((crew) => crew.id));
      const converted = flowFromKasalExport(body, ({ kasalCrewId, crewName }) => {
        if (kasalCrewId && ids.has(kasalCrewId)) return kasalCrewId;
        return crewName ? byName.get(crewName.toLowerCase()) : undefined;
      });
      if (converted.issues.length > 0) throw validationError('Kasal flow', converted.issues);
      const parsed = FlowSpecSchema.safeParse(converted.flow);
      if (!parsed.success) throw fromZodError(parsed.error, 'Kasal flow');
      const saved = await flows.create(req.em, group.id, auth.user.id, parsed.data);
      return { ...saved, import_notes: converted.notes };
    },
  });
}
