/**
 * Converts a flow exported by Kasal (React Flow nodes and edges plus `flow_config`) into this
 * platform's FlowSpec input; what cannot be carried over is reported, never silently dropped.
 */
import { z } from 'zod';
import { isUuid } from '../schemas/common.schema';
import type { FieldIssue } from '../errors';

export interface KasalCrewRef {
  kasalCrewId: string | null;
  crewName: string | null;
}

export type KasalCrewResolver = (ref: KasalCrewRef) => string | undefined;

export interface KasalFlowImport {
  /** FlowSpec input: parses with `FlowSpecSchema` when `issues` is empty. */
  flow: Record<string, unknown>;
  /** What this platform does not support; paths point into the Kasal document. */
  issues: FieldIssue[];
  /** Harmless things that were ignored. */
  notes: string[];
}

type Json = Record<string, unknown>;
type Router = { id: string; after: string; routes: { name: string; condition: string }[] };
type Logic = 'NONE' | 'AND' | 'OR' | 'ROUTER';

interface CrewNode {
  kind: 'crew';
  id: string;
  index: number;
  stepId: string;
  label: string;
  kasalCrewId: string | null;
  crewName: string | null;
  taskIds: string[];
}

interface GateNode {
  kind: 'gate';
  id: string;
  index: number;
  label: string;
  gate: GateFields | undefined;
}

type KasalNode = CrewNode | GateNode | { kind: 'other'; id: string; index: number };

interface GateFields {
  message: string;
  timeout_seconds?: number;
  timeout_action: 'auto_reject' | 'fail';
  require_comment: boolean;
  allowed_approvers: string[];
}

interface Edge {
  index: number;
  source: string;
  target: string;
  logic: Logic;
  condition: string | undefined;
  gate: GateFields | undefined;
}

/** A crew-to-crew connection, possibly through an approval gate node. */
interface Link {
  source: CrewNode;
  target: CrewNode;
  logic: Logic;
  /** The edge that carries the routing (`edges[i]`). */
  path: string;
  condition: string | undefined;
  gates: GateFields[];
}

const LOGIC_TYPES: readonly Logic[] = ['NONE', 'AND', 'OR', 'ROUTER'];
const STEP_ID_MAX = 50;
const NAME_MAX = 200;
const DEFAULT_GATE_MESSAGE = 'Approval required to proceed';
const STATE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEYWORDS: ReadonlySet<string> = new Set(['and', 'or', 'not', 'in', 'is']);
const EmailSchema = z.email();

export function flowFromKasalExport(
  exported: unknown,
  resolveCrew: KasalCrewResolver,
): KasalFlowImport {
  const issues: FieldIssue[] = [];
  const notes: string[] = [];
  const doc = asObject(exported);
  if (!doc) {
    issues.push({ path: '', message: 'must be a Kasal flow export (an object with "nodes")' });
    return { flow: {}, issues, notes };
  }
  const configKey = doc.flow_config != null ? 'flow_config' : 'flowConfig';
  const config = asObject(doc[configKey]);

  const nodes = readNodes(doc.nodes, issues);
  const edges = readEdges(doc.edges, nodes, issues, notes);
  const links = linkCrews(nodes, edges, issues);
  const crews = [...nodes.values()].filter((node): node is CrewNode => node.kind === 'crew');
  const steps: Json[] = [];
  const routers = new Map<string, Router>();
  const gates = new Map<string, Json>();
  for (const crew of crews) {
    const incoming = links.filter((link) => link.target === crew);
    const listen = listenOf(crew, incoming, routers, config, configKey, issues);
    steps.push({ ...stepOf(crew, resolveCrew, issues), ...(listen && { listen }) });
    for (const link of incoming) {
      for (const gate of link.gates) {
        const key = `${link.source.stepId}->${crew.stepId}`;
        if (gates.has(key)) {
          notes.push(
            `${link.path}: a second approval gate between '${link.source.label}' and '${crew.label}' was merged into the first`,
          );
        } else gates.set(key, { from: link.source.stepId, to: crew.stepId, ...gate });
      }
    }
  }

  const hasIncoming = new Set(edges.map((edge) => edge.target));
  const start = crews.filter((crew) => !hasIncoming.has(crew.id));
  if (crews.length === 0) {
    issues.push({ path: 'nodes', message: 'the flow has no crew nodes' });
  } else if (start.length === 0) {
    issues.push({
      path: 'nodes',
      message: 'the flow has no start point: every crew has an incoming edge',
    });
  }

  if (config) readConfig(config, configKey, notes);
  if (doc.flow_config != null && doc.flowConfig != null) {
    notes.push('flowConfig ignored: flow_config is used (Kasal exports keep a copy in both)');
  }
  const initial = initialState(config, configKey, issues);
  const name = typeof doc.name === 'string' ? doc.name.trim() : '';
  if (name === '') notes.push("the flow has no name: named 'Imported Kasal flow'");
  if (name.length > NAME_MAX) notes.push(`the flow's name was shortened to ${NAME_MAX} characters`);

  return {
    flow: {
      name: name === '' ? 'Imported Kasal flow' : name.slice(0, NAME_MAX),
      ...(typeof doc.description === 'string' &&
        doc.description.trim() !== '' && { description: doc.description }),
      start: start.map((crew) => crew.stepId),
      steps,
      routers: [...routers.values()],
      gates: [...gates.values()],
      ...(initial && { state: { initial } }),
    },
    issues,
    notes,
  };
}

/** Rewrites a Kasal (Python-like) router condition into this platform's expression syntax. */
export function conditionFromKasal(expression: string): { condition: string } | { error: string } {
  const source = expression.trim();
  const fail = (why: string) => ({ error: `${why}: ${source}` });
  let out = '';
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '"' || ch === "'") {
      const literal = readString(source, i);
      if (!literal) return fail('router condition has an unterminated string');
      out += source.slice(i, literal.end);
      i = literal.end;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))?.[0];
    if (word === undefined || /[A-Za-z0-9_]/.test(source[i - 1] ?? '')) {
      out += ch;
      i += 1;
      continue;
    }
    let end = i + word.length;
    if (word === 'state' && source[i - 1] !== '.') {
      const read = readStateAccess(source, end);
      if ('error' in read) return fail(read.error);
      if (!STATE_NAME.test(read.key)) {
        return fail(`router condition reads state key '${read.key}', which is not a plain name`);
      }
      out += read.key;
      end = read.end;
    } else if (word === 'is') {
      // `x is None` / `x is not None` compare like `==` / `!=`.
      const not = /^\s+not\b/.exec(source.slice(end));
      out += not ? '!=' : '==';
      end += not?.[0].length ?? 0;
    } else {
      out += word;
    }
    if (!KEYWORDS.has(word) && /^\s*\(/.test(source.slice(end))) {
      return fail('router condition uses a function call our evaluator does not support');
    }
    i = end;
  }
  return { condition: out };
}

function readNodes(value: unknown, issues: FieldIssue[]): Map<string, KasalNode> {
  const nodes = new Map<string, KasalNode>();
  if (!Array.isArray(value)) {
    issues.push({ path: 'nodes', message: 'must be a list of nodes' });
    return nodes;
  }
  const usedIds = new Set<string>();
  value.forEach((raw: unknown, index) => {
    const path = `nodes[${index}]`;
    const node = asObject(raw);
    const id = node && idOf(node.id);
    if (!node || id === undefined) {
      issues.push({ path: `${path}.id`, message: 'a node needs an id' });
      return;
    }
    if (nodes.has(id)) {
      issues.push({ path: `${path}.id`, message: `duplicate node id '${id}'` });
      return;
    }
    const data = asObject(node.data) ?? {};
    if (node.type === 'crewNode') {
      nodes.set(id, crewNodeOf(index, id, data, usedIds));
    } else if (node.type === 'hitlGateNode') {
      const label = text(data.label) ?? id;
      const configPath = asObject(data.gate_config) ? `${path}.data.gate_config` : `${path}.data`;
      const gate = gateOf(asObject(data.gate_config) ?? data, configPath, issues);
      nodes.set(id, { kind: 'gate', id, index, label, gate });
    } else {
      const type = typeof node.type === 'string' ? `'${node.type}'` : 'missing';
      issues.push({
        path: `${path}.type`,
        message: `unsupported node type ${type} (only crewNode and hitlGateNode can be imported)`,
      });
      nodes.set(id, { kind: 'other', id, index });
    }
  });
  return nodes;
}

function crewNodeOf(index: number, id: string, data: Json, usedIds: Set<string>): CrewNode {
  const crewName = text(data.crewName);
  const kasalCrewId = idOf(data.crewId) ?? null;
  const label = crewName ?? text(data.label) ?? kasalCrewId ?? id;
  const tasks = Array.isArray(data.allTasks) ? data.allTasks : [];
  const taskIds = tasks.flatMap((task: unknown) => {
    const taskId = idOf(asObject(task)?.id);
    return taskId === undefined ? [] : [taskId];
  });
  return {
    kind: 'crew',
    id,
    index,
    stepId: uniqueStepId(label, usedIds),
    label,
    kasalCrewId,
    crewName: crewName ?? text(data.label) ?? null,
    taskIds,
  };
}

function stepOf(crew: CrewNode, resolveCrew: KasalCrewResolver, issues: FieldIssue[]): Json {
  const crewId = resolveCrew({ kasalCrewId: crew.kasalCrewId, crewName: crew.crewName });
  const path = `nodes[${crew.index}].data.crewId`;
  if (crewId === undefined) {
    issues.push({
      path,
      message: `crew '${crew.label}' not found; import the crew first (match by id or name)`,
    });
  } else if (!isUuid(crewId)) {
    issues.push({ path, message: `crew '${crew.label}' resolved to '${crewId}', not a crew id` });
  }
  return {
    id: crew.stepId,
    name: crew.label.slice(0, NAME_MAX),
    ...(crewId !== undefined && { crew_id: crewId }),
  };
}

/** `Data Prep Crew` → `data_prep_crew`; repeats get `_2`, `_3`. */
function uniqueStepId(label: string, used: Set<string>): string {
  const slug = label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+/, '')
    .slice(0, STEP_ID_MAX)
    .replace(/_+$/, '');
  const base = slug === '' ? 'crew' : /^[0-9]/.test(slug) ? `crew_${slug}` : slug;
  let id = base;
  for (let n = 2; used.has(id); n += 1) id = `${base}_${n}`;
  used.add(id);
  return id;
}

function readEdges(
  value: unknown,
  nodes: ReadonlyMap<string, KasalNode>,
  issues: FieldIssue[],
  notes: string[],
): Edge[] {
  if (value == null) return [];
  if (!Array.isArray(value)) {
    issues.push({ path: 'edges', message: 'must be a list of edges' });
    return [];
  }
  let checkpoints = false;
  const edges = value.flatMap((raw: unknown, index): Edge[] => {
    const path = `edges[${index}]`;
    const edge = asObject(raw);
    if (!edge) {
      issues.push({ path, message: 'must be an object' });
      return [];
    }
    const ends = (['source', 'target'] as const).map((end) => {
      const id = idOf(edge[end]);
      const node = id === undefined ? undefined : nodes.get(id);
      if (!node) {
        issues.push({ path: `${path}.${end}`, message: `no node with id '${id ?? ''}'` });
      }
      return { id, node };
    });
    const [from, to] = ends as [(typeof ends)[number], (typeof ends)[number]];
    if (!from.node || !to.node || from.id === undefined || to.id === undefined) return [];
    // An edge touching an unsupported node: the node is already reported.
    if (from.node.kind === 'other' || to.node.kind === 'other') return [];

    const data = asObject(edge.data) ?? {};
    if ('checkpoint' in data) checkpoints = true;
    if (from.node.kind === 'crew') {
      checkSelection(data.listenToTaskIds, from.node, `${path}.data.listenToTaskIds`, issues);
    }
    if (to.node.kind === 'crew') {
      checkSelection(data.targetTaskIds, to.node, `${path}.data.targetTaskIds`, issues);
    }
    if (!isEmpty(data.stateMappings)) {
      issues.push({
        path: `${path}.data.stateMappings`,
        message:
          'state mappings (task output fields copied into state) are not supported; a step can keep its whole output in state with "output_key"',
      });
    }
    if (!isEmpty(data.routerSchema)) {
      issues.push({
        path: `${path}.data.routerSchema`,
        message: 'router schemas are not supported; router conditions read the flow state',
      });
    }

    const logicRaw = data.logicType == null ? 'NONE' : show(data.logicType).toUpperCase();
    const logic = LOGIC_TYPES.find((type) => type === logicRaw);
    if (!logic) {
      issues.push({
        path: `${path}.data.logicType`,
        message: `unknown logicType '${show(data.logicType)}' (use NONE, AND, OR or ROUTER)`,
      });
    }
    const hitl = asObject(data.hitl);
    // A disabled gate is ignored whatever else it says (even `timeout_action: 'auto_approve'`).
    const gate = hitl?.enabled === true ? gateOf(hitl, `${path}.data.hitl`, issues) : undefined;
    return [
      {
        index,
        source: from.id,
        target: to.id,
        logic: logic ?? 'NONE',
        condition: text(data.routerCondition),
        gate,
      },
    ];
  });
  if (checkpoints) notes.push('checkpoint flags ignored: every flow step is durable');
  return edges;
}

/** Empty selections and selections of every task of the crew mean "the whole crew". */
function checkSelection(value: unknown, crew: CrewNode, path: string, issues: FieldIssue[]): void {
  if (!Array.isArray(value) || value.length === 0 || crew.taskIds.length === 0) return;
  const selected = new Set(value.map((id: unknown) => idOf(id)));
  if (crew.taskIds.every((id) => selected.has(id))) return;
  const verb = path.endsWith('listenToTaskIds') ? 'waits for' : 'runs';
  issues.push({
    path,
    message: `${verb} only some tasks of crew '${crew.label}'; this platform runs whole crews`,
  });
}

function gateOf(source: Json, path: string, issues: FieldIssue[]): GateFields | undefined {
  const before = issues.length;
  const message = text(source.message) ?? DEFAULT_GATE_MESSAGE;
  if (message.length > 5000) {
    issues.push({ path: `${path}.message`, message: 'must be at most 5000 characters' });
  }
  const timeout = source.timeout_seconds;
  if (timeout != null && !(Number.isInteger(timeout) && (timeout as number) >= 1)) {
    issues.push({
      path: `${path}.timeout_seconds`,
      message: 'must be a whole number of seconds, at least 1',
    });
  }
  const action = source.timeout_action ?? 'auto_reject';
  if (action !== 'auto_reject' && action !== 'fail') {
    issues.push({
      path: `${path}.timeout_action`,
      message: `unsupported timeout_action '${show(action)}' (use auto_reject or fail)`,
    });
  }
  const approvers = source.allowed_approvers ?? [];
  const emails: string[] = [];
  if (!Array.isArray(approvers)) {
    issues.push({ path: `${path}.allowed_approvers`, message: 'must be a list of emails' });
  } else {
    approvers.forEach((approver: unknown, index) => {
      if (typeof approver === 'string' && EmailSchema.safeParse(approver.trim()).success) {
        emails.push(approver.trim());
      } else {
        issues.push({
          path: `${path}.allowed_approvers[${index}]`,
          message: `'${show(approver)}' is not an email address`,
        });
      }
    });
  }
  if (issues.length > before) return undefined;
  return {
    message,
    ...(timeout != null && { timeout_seconds: timeout as number }),
    timeout_action: action as GateFields['timeout_action'],
    require_comment: source.require_comment === true,
    allowed_approvers: emails,
  };
}

/** Crew-to-crew links: direct edges, and every incoming × outgoing pair of a gate node. */
function linkCrews(
  nodes: ReadonlyMap<string, KasalNode>,
  edges: readonly Edge[],
  issues: FieldIssue[],
): Link[] {
  const links: Link[] = [];
  const node = (id: string) => nodes.get(id)!;
  for (const edge of edges) {
    const source = node(edge.source);
    const target = node(edge.target);
    if (source.kind === 'crew' && target.kind === 'crew') {
      links.push({
        source,
        target,
        logic: edge.logic,
        path: `edges[${edge.index}]`,
        condition: edge.condition,
        gates: edge.gate ? [edge.gate] : [],
      });
    }
  }
  for (const gate of nodes.values()) {
    if (gate.kind !== 'gate') continue;
    const ins = edges.filter((edge) => edge.target === gate.id);
    const outs = edges.filter((edge) => edge.source === gate.id);
    const chained = [...ins.map((e) => node(e.source)), ...outs.map((e) => node(e.target))].some(
      (other) => other.kind !== 'crew',
    );
    if (ins.length === 0 || outs.length === 0 || chained) {
      issues.push({
        path: `nodes[${gate.index}]`,
        message: `approval gate '${gate.label}' must sit between two crews (an edge from a crew into it and one from it to a crew)`,
      });
      continue;
    }
    for (const into of ins) {
      for (const out of outs) {
        const routed = into.logic === 'ROUTER' ? into : out;
        links.push({
          source: node(into.source) as CrewNode,
          target: node(out.target) as CrewNode,
          logic: routed.logic === 'ROUTER' ? 'ROUTER' : out.logic,
          path: `edges[${routed.index}]`,
          condition: routed.condition,
          gates: [gate.gate, into.gate, out.gate].filter((g): g is GateFields => g !== undefined),
        });
      }
    }
  }
  for (const link of links) {
    if (link.source === link.target) {
      issues.push({
        path: `${link.path}.target`,
        message: `crew '${link.target.label}' cannot listen to itself`,
      });
    }
  }
  return links;
}

function listenOf(
  crew: CrewNode,
  incoming: readonly Link[],
  routers: Map<string, Router>,
  config: Json | undefined,
  configKey: string,
  issues: FieldIssue[],
): Json | undefined {
  const routed = incoming.filter((link) => link.logic === 'ROUTER');
  const plain = incoming.filter((link) => link.logic !== 'ROUTER');
  if (routed.length > 0 && plain.length > 0) {
    issues.push({
      path: `${plain[0]!.path}.data.logicType`,
      message: `crew '${crew.label}' listens both to a router and to other crews; this platform supports one or the other`,
    });
    return undefined;
  }
  if (routed.length > 0) {
    const sources = unique(routed.map((link) => link.source));
    if (sources.length > 1) {
      issues.push({
        path: `${routed[1]!.path}.data.logicType`,
        message: `crew '${crew.label}' is a route of more than one router; a step can listen to one route`,
      });
      return undefined;
    }
    const link = routed[0]!;
    const routerId = `router_${link.source.stepId}`;
    const route = `route_to_${crew.stepId}`;
    const condition = routeCondition(link, config, configKey, issues);
    const router = routers.get(routerId) ?? { id: routerId, after: link.source.stepId, routes: [] };
    routers.set(routerId, router);
    if (condition !== undefined) router.routes.push({ name: route, condition });
    return { router: routerId, route };
  }
  if (plain.length === 0) return undefined;
  const hasAnd = plain.some((link) => link.logic === 'AND');
  const or = plain.find((link) => link.logic === 'OR');
  if (hasAnd && or) {
    issues.push({
      path: `${or.path}.data.logicType`,
      message: `crew '${crew.label}' mixes AND and OR incoming edges; use one of them`,
    });
  }
  return {
    to: unique(plain.map((link) => link.source)).map((source) => source.stepId),
    condition: or ? 'OR' : 'AND',
  };
}

function routeCondition(
  link: Link,
  config: Json | undefined,
  configKey: string,
  issues: FieldIssue[],
): string | undefined {
  let raw = link.condition;
  let path = `${link.path}.data.routerCondition`;
  if (raw === undefined) {
    const fromConfig = configRouteCondition(link.target, config, configKey);
    raw = fromConfig?.condition;
    path = fromConfig?.path ?? path;
  }
  if (raw === undefined) {
    issues.push({
      path,
      message: `the router after crew '${link.source.label}' has no condition for the route to crew '${link.target.label}'`,
    });
    return undefined;
  }
  const converted = conditionFromKasal(raw);
  if ('error' in converted) {
    issues.push({ path, message: converted.error });
    return undefined;
  }
  if (converted.condition.length > 2000) {
    issues.push({ path, message: 'router condition must be at most 2000 characters' });
    return undefined;
  }
  return converted.condition;
}

/** `flow_config.routers[].routeConditions`, for the route whose tasks belong to `target`. */
function configRouteCondition(
  target: CrewNode,
  config: Json | undefined,
  configKey: string,
): { condition: string; path: string } | undefined {
  const routers = Array.isArray(config?.routers) ? config.routers : [];
  for (const [index, raw] of routers.entries()) {
    const router = asObject(raw);
    const routes = asObject(router?.routes) ?? {};
    const conditions = asObject(router?.routeConditions) ?? {};
    for (const [name, entries] of Object.entries(routes)) {
      const condition = text(conditions[name]);
      if (condition === undefined || !Array.isArray(entries)) continue;
      const matches = entries.some((entry: unknown) => {
        const task = asObject(entry) ?? {};
        const crewId = idOf(task.crewId);
        const taskId = idOf(task.id);
        return (
          (crewId !== undefined && crewId === target.kasalCrewId) ||
          (taskId !== undefined && target.taskIds.includes(taskId)) ||
          (text(task.crewName) !== undefined && text(task.crewName) === target.crewName)
        );
      });
      if (matches) {
        return { condition, path: `${configKey}.routers[${index}].routeConditions.${name}` };
      }
    }
  }
  return undefined;
}

function readConfig(config: Json, configKey: string, notes: string[]): void {
  const duplicated = ['startingPoints', 'listeners', 'actions', 'routers'].filter(
    (field) => !isEmpty(config[field]),
  );
  if (duplicated.length > 0) {
    notes.push(`${configKey}.${duplicated.join('/')} ignored: the nodes and edges define the flow`);
  }
}

function initialState(
  config: Json | undefined,
  configKey: string,
  issues: FieldIssue[],
): Json | undefined {
  const state = asObject(config?.state);
  if (!state || state.enabled !== true || state.initialValues == null) return undefined;
  const initial = asObject(state.initialValues);
  if (!initial) {
    issues.push({
      path: `${configKey}.state.initialValues`,
      message: 'must be an object of state fields',
    });
  }
  return initial;
}

function readString(source: string, start: number): { end: number } | undefined {
  const quote = source[start];
  for (let i = start + 1; i < source.length; i += 1) {
    if (source[i] === '\\') i += 1;
    else if (source[i] === quote) return { end: i + 1 };
  }
  return undefined;
}

/** After `state`: `.get("x"[, default])`, `["x"]` or `.x`. */
function readStateAccess(
  source: string,
  start: number,
): { key: string; end: number } | { error: string } {
  const rest = source.slice(start);
  const attribute = /^\.([A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
  const call = /^\.get\s*\(\s*/.exec(rest);
  const index = /^\[\s*/.exec(rest);
  const opened = call ?? index;
  if (opened) {
    let i = start + opened[0].length;
    if (source[i] !== '"' && source[i] !== "'") {
      return { error: 'router condition reads state with a key that is not a string' };
    }
    const literal = readString(source, i);
    if (!literal) return { error: 'router condition has an unterminated string' };
    const key = source.slice(i + 1, literal.end - 1);
    i = literal.end;
    const close = call ? ')' : ']';
    // `state.get("x", <default>)`: the default is dropped (a missing field reads as None).
    let depth = 0;
    while (i < source.length && !(depth === 0 && source[i] === close)) {
      const ch = source[i]!;
      if (!call && !/\s/.test(ch)) return { error: 'router condition indexes state oddly' };
      if (ch === '"' || ch === "'") {
        const inner = readString(source, i);
        if (!inner) return { error: 'router condition has an unterminated string' };
        i = inner.end;
        continue;
      }
      if ('([{'.includes(ch)) depth += 1;
      if (')]}'.includes(ch)) depth -= 1;
      i += 1;
    }
    if (i >= source.length) return { error: `router condition is missing a '${close}'` };
    return { key, end: i + 1 };
  }
  if (attribute) return { key: attribute[1]!, end: start + attribute[0].length };
  return { error: "router condition uses 'state' in a way that cannot be converted" };
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;
}

function idOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** A value as it would read in the document, for messages. */
function show(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
}

function isEmpty(value: unknown): boolean {
  if (value == null || value === '' || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  const object = asObject(value);
  return object !== undefined && Object.keys(object).length === 0;
}
