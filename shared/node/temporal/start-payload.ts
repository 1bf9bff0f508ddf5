/**
 * The size of what starts a run. Its workflow's argument (the compiled plan, inputs included)
 * travels as one payload, and Temporal refuses a payload past its blob limit (2 MiB unless its
 * operator changed `limit.blobSize.error`). Measured before anything is written or started, so a
 * run too large to start is refused naming the parts that make it so.
 */
import { formatFieldPath } from '../../errors';
import { PAYLOAD_CODEC_OVERHEAD_BYTES } from './payload-codec';

export interface OversizedPart {
  /** Where in the plan, e.g. `tasks[0].description` or `inputs.topic`. */
  path: string;
  bytes: number;
}

export interface OversizedStart {
  bytes: number;
  limit: number;
  /** The largest parts of the plan, largest first. */
  largest: OversizedPart[];
}

/** A part is named when it is at least this share of the whole. */
const NOTABLE_SHARE = 0.05;
const NAMED_PARTS = 5;

/** The bytes a value takes as an encrypted JSON payload (what Temporal measures). */
export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8') + PAYLOAD_CODEC_OVERHEAD_BYTES;
}

/** Undefined when the start arguments fit in `limit` bytes; otherwise what is too big. */
export function oversizedStart(
  args: { plan: unknown } & Record<string, unknown>,
  limit: number,
): OversizedStart | undefined {
  const bytes = payloadBytes(args);
  if (bytes <= limit) return undefined;
  return { bytes, limit, largest: largestParts(args.plan, bytes * NOTABLE_SHARE) };
}

export function describeOversizedStart(oversized: OversizedStart): string {
  const parts = oversized.largest
    .map((part) => `${part.path} (${count(part.bytes)} bytes)`)
    .join(', ');
  return (
    `its compiled plan with its inputs comes to ${count(oversized.bytes)} bytes, over the ` +
    `limit of ${count(oversized.limit)} bytes (KASAL_MAX_START_PAYLOAD_BYTES)` +
    (parts ? `; the largest parts: ${parts}` : '') +
    '. An input is copied into every text that names it: shorten the largest inputs or ' +
    'texts, or pass a large document as a file or URL that a tool reads'
  );
}

const count = (bytes: number) => bytes.toLocaleString('en-US');

interface Node {
  parent: number;
  key: string | number | undefined;
  bytes: number;
  notableChild: boolean;
}

/**
 * The largest parts that have no large part inside them (a long description, a big input), by
 * their JSON size. Walks without recursion: a plan's depth is not bounded here.
 */
function largestParts(root: unknown, threshold: number): OversizedPart[] {
  const nodes: Node[] = [];
  const pending: { value: unknown; parent: number; key?: string | number }[] = [
    { value: root, parent: -1 },
  ];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, parent, key } = next;
    const index = nodes.length;
    const keyBytes = typeof key === 'string' ? Buffer.byteLength(JSON.stringify(key)) + 1 : 0;
    nodes.push({ parent, key, bytes: keyBytes + ownBytes(value), notableChild: false });
    if (Array.isArray(value)) {
      value.forEach((item: unknown, position) =>
        pending.push({ value: item, parent: index, key: position }),
      );
    } else if (value !== null && typeof value === 'object') {
      for (const [name, item] of Object.entries(value)) {
        pending.push({ value: item, parent: index, key: name });
      }
    }
  }
  // A node is recorded before everything inside it: summing backwards sizes every subtree.
  for (let index = nodes.length - 1; index > 0; index -= 1) {
    const node = nodes[index] as Node;
    (nodes[node.parent] as Node).bytes += node.bytes;
  }
  for (let index = nodes.length - 1; index > 0; index -= 1) {
    const node = nodes[index] as Node;
    if (node.bytes >= threshold) (nodes[node.parent] as Node).notableChild = true;
  }
  return nodes
    .map((node, index) => ({ node, index }))
    .filter(({ node, index }) => index > 0 && node.bytes >= threshold && !node.notableChild)
    .sort((a, b) => b.node.bytes - a.node.bytes)
    .slice(0, NAMED_PARTS)
    .map(({ node, index }) => ({ path: pathOf(nodes, index), bytes: node.bytes }));
}

function ownBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(JSON.stringify(value));
  if (value !== null && typeof value === 'object') return 2;
  return String(value).length;
}

function pathOf(nodes: Node[], index: number): string {
  const keys: (string | number)[] = [];
  for (let at = index; at > 0; at = (nodes[at] as Node).parent) {
    keys.push((nodes[at] as Node).key as string | number);
  }
  return formatFieldPath(keys.reverse());
}
