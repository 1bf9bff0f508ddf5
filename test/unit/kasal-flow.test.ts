// Importing flows exported by Kasal: graph → FlowSpec mapping, and what is reported as unsupported.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  conditionFromKasal,
  flowFromKasalExport,
  type KasalCrewRef,
} from '../../shared/compiler/kasal-flow';
import { FlowSpecSchema } from '../../shared/schemas/flow.schema';

type Doc = Record<string, any>;

const CREW_NAMES = [
  'Market Research Crew',
  'Report Writer Crew',
  'Editorial Review Crew',
  'Ingest Crew',
  'Clean & Validate',
  'Demand Forecast Crew',
  'Publish Results',
  'Application Intake',
  'Manual Underwriting',
  'Automated Scoring',
  'Compliance Check',
  'Decision Letter',
  'Ticket Triage',
  'Escalation Crew',
  'Auto Responder',
  'Knowledge Base Update',
  'Data Prep Crew',
];

/** Our crews: one per name, with ids `00000000-0000-4000-8000-0000000000NN`. */
function ourCrewId(name: string): string {
  const index = CREW_NAMES.indexOf(name);
  return `00000000-0000-4000-8000-${String(index + 1).padStart(12, '0')}`;
}

const byName = (ref: KasalCrewRef): string | undefined =>
  ref.crewName !== null && CREW_NAMES.includes(ref.crewName) ? ourCrewId(ref.crewName) : undefined;

function fixture(name: string): Doc {
  const file = path.join(__dirname, '../fixtures/kasal-flows', `${name}.json`);
  return JSON.parse(readFileSync(file, 'utf8')) as Doc;
}

/** A minimal export: crews by name, edges as `[source, target, data]`. */
function doc(crews: string[], edges: [string, string, Doc?][] = [], extra: Doc = {}): Doc {
  return {
    name: 'Small flow',
    nodes: crews.map((name, index) => ({
      id: `n${index}`,
      type: 'crewNode',
      position: { x: index * 100, y: 0 },
      data: { label: name, crewName: name, crewId: null, allTasks: [{ id: `t${index}` }] },
    })),
    edges: edges.map(([source, target, data], index) => ({
      id: `e${index}`,
      source,
      target,
      type: 'crewEdge',
      data: { logicType: 'NONE', checkpoint: true, ...data },
    })),
    ...extra,
  };
}

describe('flowFromKasalExport', () => {
  it('imports a linear flow with approval gates on both edges', () => {
    const result = flowFromKasalExport(fixture('linear-with-approvals'), byName);
    expect(result.issues).toEqual([]);
    const flow = FlowSpecSchema.parse(result.flow);
    expect(flow.name).toBe('Quarterly market report');
    expect(flow.start).toEqual(['market_research_crew']);
    expect(flow.steps).toEqual([
      {
        id: 'market_research_crew',
        name: 'Market Research Crew',
        crew_id: ourCrewId('Market Research Crew'),
        inputs: {},
      },
      {
        id: 'report_writer_crew',
        name: 'Report Writer Crew',
        crew_id: ourCrewId('Report Writer Crew'),
        listen: { to: ['market_research_crew'], condition: 'AND' },
        inputs: {},
      },
      {
        id: 'editorial_review_crew',
        name: 'Editorial Review Crew',
        crew_id: ourCrewId('Editorial Review Crew'),
        listen: { to: ['report_writer_crew'], condition: 'AND' },
        inputs: {},
      },
    ]);
    expect(flow.routers).toEqual([]);
    expect(flow.gates).toEqual([
      {
        from: 'market_research_crew',
        to: 'report_writer_crew',
        message: 'Check the research summary before the report is drafted.',
        timeout_seconds: 86400,
        timeout_action: 'auto_reject',
        require_comment: false,
        allowed_approvers: ['analyst.lead@example.com'],
      },
      {
        from: 'report_writer_crew',
        to: 'editorial_review_crew',
        message: 'Approve the draft for editorial review.',
        timeout_seconds: 86400,
        timeout_action: 'auto_reject',
        require_comment: true,
        allowed_approvers: [],
      },
    ]);
    expect(flow.state).toEqual({ initial: { topic: 'European EV charging', quarter: 'Q3' } });
    expect(result.notes).toEqual(
      expect.arrayContaining([
        'checkpoint flags ignored: every flow step is durable',
        'flow_config.startingPoints/listeners/actions ignored: the nodes and edges define the flow',
        'flowConfig ignored: flow_config is used (Kasal exports keep a copy in both)',
      ]),
    );
  });

  it('passes the Kasal crew id and name to the resolver', () => {
    const refs: KasalCrewRef[] = [];
    flowFromKasalExport(fixture('four-step-pipeline'), (ref) => {
      refs.push(ref);
      return byName(ref);
    });
    expect(refs).toEqual([
      { kasalCrewId: '17', crewName: 'Ingest Crew' },
      { kasalCrewId: '2786417d-3e3f-474a-bf8e-3f9d46f1fa81', crewName: 'Clean & Validate' },
      { kasalCrewId: 'bdbb16f4-984e-41e3-a293-92f18dbd07a2', crewName: 'Demand Forecast Crew' },
      { kasalCrewId: 'publish-results', crewName: 'Publish Results' },
    ]);
  });

  it('ignores a disabled gate, even one that says auto_approve', () => {
    const result = flowFromKasalExport(fixture('four-step-pipeline'), byName);
    expect(result.issues).toEqual([]);
    const flow = FlowSpecSchema.parse(result.flow);
    expect(flow.start).toEqual(['ingest_crew']);
    expect(flow.steps.map((step) => [step.id, step.listen])).toEqual([
      ['ingest_crew', undefined],
      ['clean_validate', { to: ['ingest_crew'], condition: 'AND' }],
      ['demand_forecast_crew', { to: ['clean_validate'], condition: 'AND' }],
      ['publish_results', { to: ['demand_forecast_crew'], condition: 'AND' }],
    ]);
    expect(flow.gates).toEqual([
      {
        from: 'clean_validate',
        to: 'demand_forecast_crew',
        message: 'Validated data ready: approve forecasting?',
        timeout_action: 'fail',
        require_comment: true,
        allowed_approvers: [],
      },
      {
        from: 'demand_forecast_crew',
        to: 'publish_results',
        message: 'Publish this forecast?',
        timeout_seconds: 7200,
        timeout_action: 'auto_reject',
        require_comment: false,
        allowed_approvers: ['cfo@example.com', 'planning@example.com'],
      },
    ]);
    // `flowConfig` is read when `flow_config` is null; its state is disabled.
    expect(flow.state).toEqual({ initial: {} });
  });

  it('maps ROUTER edges to one router per source and AND edges to a join', () => {
    const result = flowFromKasalExport(fixture('branching'), byName);
    expect(result.issues).toEqual([]);
    const flow = FlowSpecSchema.parse(result.flow);
    expect(flow.start).toEqual(['application_intake']);
    expect(flow.routers).toEqual([
      {
        id: 'router_application_intake',
        after: 'application_intake',
        routes: [
          { name: 'route_to_manual_underwriting', condition: 'risk_level == "high"' },
          { name: 'route_to_automated_scoring', condition: 'risk_level != "high"' },
        ],
      },
    ]);
    expect(Object.fromEntries(flow.steps.map((step) => [step.id, step.listen]))).toEqual({
      application_intake: undefined,
      manual_underwriting: {
        router: 'router_application_intake',
        route: 'route_to_manual_underwriting',
      },
      automated_scoring: {
        router: 'router_application_intake',
        route: 'route_to_automated_scoring',
      },
      compliance_check: { to: ['application_intake'], condition: 'AND' },
      decision_letter: { to: ['automated_scoring', 'compliance_check'], condition: 'AND' },
    });
    expect(flow.gates).toEqual([]);
    expect(flow.state).toEqual({ initial: { risk_level: '' } });
  });

  it("fills a missing routerCondition from flow_config.routers' routeConditions", () => {
    const exported = fixture('branching');
    exported.edges[1].data.routerCondition = null;
    const result = flowFromKasalExport(exported, byName);
    expect(result.issues).toEqual([]);
    const flow = FlowSpecSchema.parse(result.flow);
    expect(flow.routers[0]?.routes[1]).toEqual({
      name: 'route_to_automated_scoring',
      condition: 'risk_level != "high"',
    });
  });

  it('reports a route without any condition', () => {
    const exported = fixture('branching');
    exported.edges[0].data.routerCondition = '  ';
    exported.flow_config.routers = null;
    const result = flowFromKasalExport(exported, byName);
    expect(result.issues).toEqual([
      {
        path: 'edges[0].data.routerCondition',
        message:
          "the router after crew 'Application Intake' has no condition for the route to crew 'Manual Underwriting'",
      },
    ]);
  });

  it('reports what this platform does not support, with paths into the Kasal document', () => {
    const result = flowFromKasalExport(fixture('unsupported'), byName);
    expect(result.issues).toEqual([
      {
        path: 'nodes[4].type',
        message:
          "unsupported node type 'agentNode' (only crewNode and hitlGateNode can be imported)",
      },
      {
        path: 'edges[1].data.hitl.timeout_action',
        message: "unsupported timeout_action 'auto_approve' (use auto_reject or fail)",
      },
      {
        path: 'edges[2].data.targetTaskIds',
        message:
          "runs only some tasks of crew 'Knowledge Base Update'; this platform runs whole crews",
      },
      {
        path: 'edges[0].data.routerCondition',
        message:
          'router condition uses a function call our evaluator does not support: state.get("category", "").startswith("urgent")',
      },
    ]);
  });

  it('reports crews that are not in this platform', () => {
    const result = flowFromKasalExport(fixture('linear-with-approvals'), (ref) =>
      ref.crewName === 'Report Writer Crew' ? undefined : byName(ref),
    );
    expect(result.issues).toEqual([
      {
        path: 'nodes[1].data.crewId',
        message: "crew 'Report Writer Crew' not found; import the crew first (match by id or name)",
      },
    ]);
    const nameless = doc(['x']);
    nameless.nodes[0].data = { crewId: 'kasal-crew-9', allTasks: null };
    expect(flowFromKasalExport(nameless, () => undefined).issues).toEqual([
      {
        path: 'nodes[0].data.crewId',
        message: "crew 'kasal-crew-9' not found; import the crew first (match by id or name)",
      },
    ]);
  });

  it('derives valid, unique step ids from crew names', () => {
    const names = [
      'Data Prep Crew',
      'Data Prep Crew',
      'Data Prep Crew',
      '123 Go!',
      'Ünïcode ✓',
      '★',
    ];
    const result = flowFromKasalExport(doc(names), () => ourCrewId('Data Prep Crew'));
    expect(result.issues).toEqual([]);
    const flow = FlowSpecSchema.parse(result.flow);
    expect(flow.steps.map((step) => step.id)).toEqual([
      'data_prep_crew',
      'data_prep_crew_2',
      'data_prep_crew_3',
      'crew_123_go',
      'unicode',
      'crew',
    ]);
    expect(flow.steps.map((step) => step.name)).toEqual(names);
    expect(flow.start).toHaveLength(6);
  });

  it('joins several NONE sources with AND and OR edges with OR; mixing them is reported', () => {
    const crews = ['Ingest Crew', 'Clean & Validate', 'Publish Results'];
    const none = flowFromKasalExport(
      doc(crews, [
        ['n0', 'n2'],
        ['n1', 'n2'],
      ]),
      byName,
    );
    expect(none.issues).toEqual([]);
    expect(FlowSpecSchema.parse(none.flow).steps[2]?.listen).toEqual({
      to: ['ingest_crew', 'clean_validate'],
      condition: 'AND',
    });

    const or = flowFromKasalExport(
      doc(crews, [
        ['n0', 'n2', { logicType: 'OR' }],
        ['n1', 'n2', { logicType: 'OR' }],
      ]),
      byName,
    );
    expect(or.issues).toEqual([]);
    expect(FlowSpecSchema.parse(or.flow).steps[2]?.listen).toEqual({
      to: ['ingest_crew', 'clean_validate'],
      condition: 'OR',
    });

    const mixed = flowFromKasalExport(
      doc(crews, [
        ['n0', 'n2', { logicType: 'AND' }],
        ['n1', 'n2', { logicType: 'OR' }],
      ]),
      byName,
    );
    expect(mixed.issues).toEqual([
      {
        path: 'edges[1].data.logicType',
        message: "crew 'Publish Results' mixes AND and OR incoming edges; use one of them",
      },
    ]);
  });

  it('turns a hitlGateNode into a gate between its incoming and outgoing crews', () => {
    const exported = doc(
      ['Ingest Crew', 'Publish Results'],
      [
        ['n0', 'gate'],
        ['gate', 'n1'],
      ],
    );
    exported.nodes.push({
      id: 'gate',
      type: 'hitlGateNode',
      position: { x: 50, y: 0 },
      data: {
        label: 'Sign-off',
        gate_config: {
          message: 'Sign off the import?',
          timeout_seconds: 600,
          timeout_action: 'fail',
          require_comment: true,
          allowed_approvers: ['ops@example.com'],
        },
      },
    });
    const result = flowFromKasalExport(exported, byName);
    expect(result.issues).toEqual([]);
    const flow = FlowSpecSchema.parse(result.flow);
    expect(flow.start).toEqual(['ingest_crew']);
    expect(flow.steps[1]?.listen).toEqual({ to: ['ingest_crew'], condition: 'AND' });
    expect(flow.gates).toEqual([
      {
        from: 'ingest_crew',
        to: 'publish_results',
        message: 'Sign off the import?',
        timeout_seconds: 600,
        timeout_action: 'fail',
        require_comment: true,
        allowed_approvers: ['ops@example.com'],
      },
    ]);

    // Fields directly on `data`, with Kasal's defaults for the missing ones.
    exported.nodes[2].data = { label: 'Sign-off', timeout_action: 'auto_approve' };
    expect(flowFromKasalExport(exported, byName).issues).toEqual([
      {
        path: 'nodes[2].data.timeout_action',
        message: "unsupported timeout_action 'auto_approve' (use auto_reject or fail)",
      },
    ]);
    exported.nodes[2].data = { label: 'Sign-off' };
    expect(FlowSpecSchema.parse(flowFromKasalExport(exported, byName).flow).gates).toEqual([
      expect.objectContaining({ message: 'Approval required to proceed', require_comment: false }),
    ]);

    exported.edges.pop();
    expect(flowFromKasalExport(exported, byName).issues).toEqual([
      {
        path: 'nodes[2]',
        message:
          "approval gate 'Sign-off' must sit between two crews (an edge from a crew into it and one from it to a crew)",
      },
    ]);
  });

  it('accepts task selections that cover the whole crew and reports partial ones', () => {
    const exported = doc(['Ingest Crew', 'Publish Results'], [['n0', 'n1']]);
    exported.nodes[0].data.allTasks = [{ id: 'a' }, { id: 'b' }];
    const withSelection = (listenToTaskIds: string[], targetTaskIds: string[]) => {
      exported.edges[0].data = { ...exported.edges[0].data, listenToTaskIds, targetTaskIds };
      return flowFromKasalExport(exported, byName).issues;
    };
    expect(withSelection([], [])).toEqual([]);
    expect(withSelection(['b', 'a'], ['t1'])).toEqual([]);
    expect(withSelection(['a'], [])).toEqual([
      {
        path: 'edges[0].data.listenToTaskIds',
        message: "waits for only some tasks of crew 'Ingest Crew'; this platform runs whole crews",
      },
    ]);
  });

  it('reports state mappings, router schemas, bad approvers and unknown edges', () => {
    const exported = doc(
      ['Ingest Crew', 'Publish Results'],
      [
        [
          'n0',
          'n1',
          {
            stateMappings: [{ sourceTaskId: 't0', outputField: 'score', stateVariable: 'score' }],
            routerSchema: { type: 'object' },
            hitl: { enabled: true, message: 'ok?', allowed_approvers: ['not-an-email'] },
          },
        ],
        ['n0', 'ghost'],
      ],
    );
    expect(flowFromKasalExport(exported, byName).issues).toEqual([
      {
        path: 'edges[0].data.stateMappings',
        message:
          'state mappings (task output fields copied into state) are not supported; a step can keep its whole output in state with "output_key"',
      },
      {
        path: 'edges[0].data.routerSchema',
        message: 'router schemas are not supported; router conditions read the flow state',
      },
      {
        path: 'edges[0].data.hitl.allowed_approvers[0]',
        message: "'not-an-email' is not an email address",
      },
      { path: 'edges[1].target', message: "no node with id 'ghost'" },
    ]);
  });

  it('reports a document that is not a flow, and a flow without a start', () => {
    expect(flowFromKasalExport(null, byName).issues).toEqual([
      { path: '', message: 'must be a Kasal flow export (an object with "nodes")' },
    ]);
    const loop = doc(
      ['Ingest Crew', 'Publish Results'],
      [
        ['n0', 'n1'],
        ['n1', 'n0'],
      ],
    );
    expect(flowFromKasalExport(loop, byName).issues).toEqual([
      { path: 'nodes', message: 'the flow has no start point: every crew has an incoming edge' },
    ]);
  });
});

describe('conditionFromKasal', () => {
  it.each([
    ['state.get("risk_level", "") == "high"', 'risk_level == "high"'],
    ["state.get('risk_level') != 'low'", "risk_level != 'low'"],
    ['state["score"] >= 0.8', 'score >= 0.8'],
    ["state['score'] < 1e3", 'score < 1e3'],
    ['state.score > 1 and approved == True', 'score > 1 and approved == True'],
    [
      'not (state.get("a", {"x": (1, 2)}) in ["b", "c"]) or d is None',
      'not (a in ["b", "c"]) or d == None',
    ],
    ['state.flag is not None', 'flag != None'],
    ['label == "state.get(\'x\') is here"', 'label == "state.get(\'x\') is here"'],
  ])('rewrites %s', (input, expected) => {
    expect(conditionFromKasal(input)).toEqual({ condition: expected });
  });

  it.each([
    ['len(state["items"]) > 2', 'uses a function call'],
    ['state.get("name", "").lower() == "x"', 'uses a function call'],
    ['state.keys()', 'uses a function call'],
    ['state.get(key) == 1', 'key that is not a string'],
    ['state["risk level"] == 1', "state key 'risk level', which is not a plain name"],
    ['state == {}', "uses 'state' in a way"],
    ['state["a" == 1', 'indexes state oddly'],
    ['x == "open', 'unterminated string'],
  ])('reports %s', (input, fragment) => {
    const result = conditionFromKasal(input);
    expect(result).toEqual({ error: expect.stringContaining(fragment) });
  });
});
