/**
 * Draws a state machine and one execution of it as an SVG picture: a box per state, an arrow per transition
 * (Next; each Choice rule, labelled with its condition; Default, labelled `otherwise`; each Catch, dashed and
 * labelled with its error names), the states and transitions the execution took in bold green, the state it
 * failed in red, a title and a legend. The layout is ELK's (see layout.ts); the same input gives the same bytes.
 *
 * States of Parallel branches and Map item processors are not drawn one by one: their Parallel or Map state
 * stands for them (it counts as visited, or failed, when one of them was).
 */
import type { AslDefinition, Transition } from './asl';
import { catches, checkDefinition, nestedStates, transitionsOf } from './asl';
import { describeCondition, wrapLabel } from './conditions';
import type { ExecutionTrace } from './history';
import { layoutGraph } from './layout';
import type { Layout, LayoutEdge, LayoutNode, Point, Rect } from './layout';

export interface PictureOptions {
  /** The picture's title (default: "State machine"). */
  readonly title?: string;
}

/** The colours, shared with the legend. */
export const COLOURS = {
  visitedFill: '#d2f4d9',
  visitedStroke: '#1a7f37',
  failedFill: '#ffd7d5',
  failedStroke: '#cf222e',
  idleFill: '#f6f8fa',
  idleStroke: '#8c959f',
  edge: '#6e7781',
  takenEdge: '#1a7f37',
  text: '#1f2328',
  muted: '#57606a',
};

const FONT = 'Helvetica, Arial, \'DejaVu Sans\', sans-serif';
const NAME_SIZE = 13;
const TYPE_SIZE = 10.5;
const LABEL_SIZE = 11;
const LABEL_LINE = 14;
const NAME_LINE = 16;
/** How much wider bold text is than regular text, about. */
const BOLD = 1.1;
const MARGIN = 20;
const START = '__start__';
const END = '__end__';

interface Edge extends Transition {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  readonly lines: string[];
  readonly taken: boolean;
}

/** A state's box: its name in lines, its type line, its size. */
interface StateBox {
  readonly lines: string[];
  readonly type: string;
  readonly size: { width: number; height: number };
}

/** What the picture draws, before placement: the states in model order, their boxes, the transitions, the path. */
interface PictureModel {
  readonly definition: AslDefinition;
  readonly order: string[];
  readonly boxes: Map<string, StateBox>;
  readonly edges: Edge[];
  readonly nodeIds: Map<string, string>;
  readonly hasEnd: boolean;
  readonly visited: Set<string>;
  readonly failed?: string;
}

/** The picture once placed: a state's or a point's place on the canvas. */
interface Placed {
  readonly layout: Layout;
  readonly at: (p: Point) => Point;
  readonly rectOf: (id: string) => Rect;
}

/** The SVG picture of `definition`, with the path of `trace` (no path when it is not given). */
export async function renderPicture(
  definition: AslDefinition, trace: ExecutionTrace = { states: [] }, options: PictureOptions = {},
): Promise<string> {
  checkDefinition(definition);
  const model = pictureModel(definition, trace);
  const layout = await layoutGraph(layoutNodes(model), layoutEdges(model));

  // Title and legend above the diagram.
  const title = options.title ?? 'State machine';
  const legend = legendRows(legendItems(), Math.max(layout.width, 640));
  const legendWidth = Math.max(...legend.map((row) => row.reduce((w, item) => w + item.width, 0)));
  const width = Math.ceil(Math.max(layout.width, textWidth(title, 18), legendWidth) + 2 * MARGIN);
  const top = 50 + legend.length * 24 + 12;
  const height = Math.ceil(top + layout.height + MARGIN);
  const at = (p: Point): Point => ({ x: p.x + MARGIN, y: p.y + top });
  const rectOf = (id: string): Rect => {
    const r = layout.nodes.get(model.nodeIds.get(id)!)!;
    return { ...r, ...at(r) };
  };
  const placed: Placed = { layout, at, rectOf };

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="${FONT}">`,
    `<title>${xml(title)}</title>`,
    '<defs>',
    marker('arrow', COLOURS.edge, 1),
    marker('arrow-taken', COLOURS.takenEdge, 1.4),
    '</defs>',
    `<rect class="background" x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
    `<text class="title" x="${MARGIN}" y="34" font-size="18" font-weight="bold" fill="${COLOURS.text}">${xml(title)}</text>`,
    renderLegend(legend, MARGIN, 50),
    ...drawStates(model, placed),
    ...drawEdges(model, placed),
    '</svg>',
  ].join('\n') + '\n';
}

/** The states in model order with their boxes, the transitions with their labels, and what the trace visited. */
function pictureModel(definition: AslDefinition, trace: ExecutionTrace): PictureModel {
  const owners = nestedStates(definition);
  const topLevel = (name: string) => (name in definition.States ? name : owners.get(name));
  const visited = new Set(trace.states.map(topLevel).filter((n): n is string => n !== undefined));
  const failed = trace.failedState !== undefined ? topLevel(trace.failedState) : undefined;

  // Nodes in breadth-first order from the start (catches last), so ELK's model order reads top to bottom.
  const transitions = transitionsOf(definition);
  const order = modelOrder(definition, transitions);
  const taken = takenTransitions(definition, transitions, trace, topLevel);
  const hasEnd = transitions.some((t) => t.kind === 'end');

  const edges: Edge[] = [
    { id: 'e0', from: START, to: definition.StartAt, kind: 'next', source: START, target: definition.StartAt, lines: [], taken: visited.size > 0 },
    ...transitions.map((t, i): Edge => ({
      ...t,
      id: `e${i + 1}`,
      source: t.from,
      target: t.to ?? END,
      lines: transitionLabel(definition, t),
      taken: taken.has(t),
    })),
  ];

  const nodeIds = new Map<string, string>([[START, 'start'], ...order.map((n, i): [string, string] => [n, `s${i}`])]);
  if (hasEnd) nodeIds.set(END, 'end');
  const boxes = new Map<string, StateBox>();
  for (const name of order) {
    const lines = wrapName(name);
    const type = typeLine(definition.States[name]);
    // Sized for the bold face (a visited state's), so every execution of a machine gets the same layout.
    const width = Math.max(130, ...lines.map((l) => BOLD * textWidth(l, NAME_SIZE)), textWidth(`${type} - failed here`, TYPE_SIZE)) + 28;
    boxes.set(name, { lines, type, size: { width: Math.ceil(width), height: lines.length * NAME_LINE + 28 } });
  }
  return { definition, order, boxes, edges, nodeIds, hasEnd, visited, failed };
}

function layoutNodes(model: PictureModel): LayoutNode[] {
  return [
    { id: 'start', width: 64, height: 26 },
    ...model.order.map((n) => ({ id: model.nodeIds.get(n)!, ...model.boxes.get(n)!.size })),
    ...(model.hasEnd ? [{ id: 'end', width: 64, height: 26 }] : []),
  ];
}

function layoutEdges(model: PictureModel): LayoutEdge[] {
  const loops = backEdges(model.edges);
  return model.edges.map((e) => ({
    id: e.id,
    from: model.nodeIds.get(e.source)!,
    to: model.nodeIds.get(e.target)!,
    ...(e.lines.length > 0 ? { label: labelSize(e.lines), labelAt: loops.has(e.id) ? 'middle' as const : 'start' as const } : {}),
  }));
}

/** A box per state (green when entered, red where the execution failed), then the start and end terminals. */
function drawStates(model: PictureModel, { rectOf }: Placed): string[] {
  const out = ['<g class="states">'];
  for (const name of model.order) {
    const r = rectOf(name);
    const box = model.boxes.get(name)!;
    const state = model.definition.States[name];
    const isFailed = model.failed === name;
    const isVisited = model.visited.has(name);
    const fill = isFailed ? COLOURS.failedFill : isVisited ? COLOURS.visitedFill : COLOURS.idleFill;
    const stroke = isFailed ? COLOURS.failedStroke : isVisited ? COLOURS.visitedStroke : COLOURS.idleStroke;
    const strokeWidth = isFailed || isVisited ? 2 : 1;
    const rx = state.Type === 'Choice' ? Math.min(r.height / 2, 16) : state.Type === 'Succeed' || state.Type === 'Fail' ? 10 : 4;
    out.push(`<g class="state" data-state="${xml(name)}" data-type="${xml(state.Type)}" data-visited="${isVisited}" data-failed="${isFailed}">`);
    out.push(`<rect class="box" x="${num(r.x)}" y="${num(r.y)}" width="${num(r.width)}" height="${num(r.height)}" rx="${num(rx)}" ` +
      `fill="${fill}" stroke="${stroke}" stroke-width="${strokeWidth}"/>`);
    if (state.Type === 'Fail' || state.Type === 'Succeed') {
      // A second border marks the states where an execution ends.
      out.push(`<rect x="${num(r.x + 3)}" y="${num(r.y + 3)}" width="${num(r.width - 6)}" height="${num(r.height - 6)}" rx="${num(rx - 2)}" ` +
        `fill="none" stroke="${stroke}" stroke-width="0.8"/>`);
    }
    box.lines.forEach((line, i) => {
      out.push(`<text x="${num(r.x + r.width / 2)}" y="${num(r.y + 18 + i * NAME_LINE)}" text-anchor="middle" font-size="${NAME_SIZE}" ` +
        `font-weight="${isVisited || isFailed ? 'bold' : 'normal'}" fill="${COLOURS.text}">${xml(line)}</text>`);
    });
    out.push(`<text x="${num(r.x + r.width / 2)}" y="${num(r.y + 18 + box.lines.length * NAME_LINE + 2)}" text-anchor="middle" ` +
      `font-size="${TYPE_SIZE}" fill="${isFailed ? COLOURS.failedStroke : COLOURS.muted}">${xml(isFailed ? `${box.type} - failed here` : box.type)}</text>`);
    out.push('</g>');
  }
  for (const [id, text] of [[START, 'Start'], ...(model.hasEnd ? [[END, 'End']] : [])]) {
    const r = rectOf(id);
    out.push(`<g class="terminal" data-terminal="${text.toLowerCase()}">`);
    out.push(`<rect class="box" x="${num(r.x)}" y="${num(r.y)}" width="${num(r.width)}" height="${num(r.height)}" rx="${num(r.height / 2)}" ` +
      `fill="${COLOURS.text}"/>`);
    out.push(`<text x="${num(r.x + r.width / 2)}" y="${num(r.y + r.height / 2 + 4)}" text-anchor="middle" font-size="11" ` +
      `font-weight="bold" fill="white">${text}</text>`);
    out.push('</g>');
  }
  out.push('</g>');
  return out;
}

/**
 * Label grounds, then transitions (the ones not taken first, so the path is drawn over them), then label
 * text with a white halo: a line that passes a label shows (an arrowhead is never hidden) but not over a letter.
 */
function drawEdges(model: PictureModel, { layout, at }: Placed): string[] {
  const placed = new Map(layout.edges.map((e) => [e.id, e]));
  const labelled = model.edges.filter((e) => placed.get(e.id)!.label && e.lines.length > 0);
  const out = ['<g class="edge-label-grounds">'];
  for (const edge of labelled) {
    const label = placed.get(edge.id)!.label!;
    const p = at(label);
    out.push(`<rect class="label-ground" data-for="${edge.id}" x="${num(p.x)}" y="${num(p.y)}" width="${num(label.width)}" ` +
      `height="${num(label.height)}" rx="3" fill="white" fill-opacity="0.85"/>`);
  }
  out.push('</g>');

  const drawOrder = [...model.edges.filter((e) => !e.taken), ...model.edges.filter((e) => e.taken)];
  out.push('<g class="edges">');
  for (const edge of drawOrder) {
    const points = placed.get(edge.id)!.points.map(at);
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${num(p.x)},${num(p.y)}`).join(' ');
    const colour = edge.taken ? COLOURS.takenEdge : COLOURS.edge;
    const dash = edge.kind === 'catch' ? ' stroke-dasharray="6 4"' : '';
    out.push(`<path class="edge" data-id="${edge.id}" data-from="${xml(edge.source)}" data-to="${xml(edge.target)}" ` +
      `data-kind="${edge.kind}" data-taken="${edge.taken}" d="${d}" fill="none" stroke="${colour}" ` +
      `stroke-width="${edge.taken ? 2.6 : 1.2}"${dash} marker-end="url(#${edge.taken ? 'arrow-taken' : 'arrow'})"/>`);
  }
  out.push('</g>');

  out.push('<g class="edge-labels">');
  for (const edge of labelled) {
    const p = at(placed.get(edge.id)!.label!);
    const colour = edge.taken ? COLOURS.takenEdge : COLOURS.muted;
    out.push(`<g class="edge-label" data-for="${edge.id}" data-kind="${edge.kind}">`);
    edge.lines.forEach((line, i) => {
      const indent = textWidth(line.slice(0, line.length - line.trimStart().length), LABEL_SIZE);
      out.push(`<text x="${num(p.x + 3 + indent)}" y="${num(p.y + 11 + i * LABEL_LINE)}" font-size="${LABEL_SIZE}" fill="${colour}" ` +
        'stroke="white" stroke-width="3" stroke-linejoin="round" paint-order="stroke"' +
        `${edge.kind === 'catch' ? ' font-style="italic"' : ''}${edge.taken ? ' font-weight="bold"' : ''}>${xml(line.trimStart())}</text>`);
    });
    out.push('</g>');
  }
  out.push('</g>');
  return out;
}

/** The start state, then breadth first over Next/Choices/Default, then over catches, then the rest. */
function modelOrder(definition: AslDefinition, transitions: Transition[]): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const walk = (kinds: (t: Transition) => boolean, from: string[]) => {
    const queue = [...from];
    while (queue.length > 0) {
      const current = queue.shift()!;
      if (!seen.has(current)) {
        seen.add(current);
        order.push(current);
      }
      for (const t of transitions) {
        if (t.from === current && t.to !== undefined && kinds(t) && !seen.has(t.to)) {
          seen.add(t.to);
          order.push(t.to);
          queue.push(t.to);
        }
      }
    }
  };
  walk((t) => t.kind !== 'catch', [definition.StartAt]);
  walk(() => true, [...order]);
  for (const name of Object.keys(definition.States)) if (!seen.has(name)) walk(() => true, [name]);
  return order;
}

/** The edges that close a loop (depth first from the start, in the edges' order): they are drawn going up. */
function backEdges(edges: Edge[]): Set<string> {
  const back = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string) => {
    state.set(node, 'open');
    for (const edge of edges) {
      if (edge.source !== node) continue;
      const next = state.get(edge.target);
      if (next === 'open') back.add(edge.id);
      else if (next === undefined) visit(edge.target);
    }
    state.set(node, 'done');
  };
  visit(START);
  return back;
}

/** The transitions an execution took: between each state entered and the next (branch states left out). */
function takenTransitions(
  definition: AslDefinition, transitions: Transition[], trace: ExecutionTrace, topLevel: (name: string) => string | undefined,
): Set<Transition> {
  const taken = new Set<Transition>();
  const steps: { name: string; last: number }[] = [];
  trace.states.forEach((name, i) => {
    if (name in definition.States) steps.push({ name, last: i });
    else if (steps.length > 0 && topLevel(name) !== undefined) steps[steps.length - 1].last = i;
  });
  for (let i = 0; i + 1 < steps.length; i++) {
    const from = steps[i].name;
    const to = steps[i + 1].name;
    const candidates = transitions.filter((t) => t.from === from && t.to === to);
    const error = trace.exitErrors?.[steps[i].last];
    if (error !== undefined) {
      // Step Functions takes the first Catch whose ErrorEquals matches.
      const first = definition.States[from].Catch?.find((c) => catches(c.ErrorEquals, error));
      const catcher = transitions.find((t) => t.from === from && t.kind === 'catch' && t.to === first?.Next);
      if (catcher && catcher.to === to) {
        taken.add(catcher);
        continue;
      }
    }
    const normal = candidates.filter((t) => t.kind !== 'catch');
    for (const t of normal.length > 0 ? normal : candidates) taken.add(t);
  }
  const last = steps[steps.length - 1];
  const ended = trace.status === 'SUCCEEDED' || (trace.status === undefined && trace.failedState === undefined);
  if (last && ended) for (const t of transitions) if (t.from === last.name && t.kind === 'end') taken.add(t);
  return taken;
}

function transitionLabel(definition: AslDefinition, t: Transition): string[] {
  const state = definition.States[t.from];
  switch (t.kind) {
    case 'choice': return wrapLabel(describeCondition(state.Choices![t.index!]));
    case 'default': return ['otherwise'];
    case 'catch': return wrapLabel(t.errors!.join(', '));
    default: return [];
  }
}

function typeLine(state: AslDefinition['States'][string]): string {
  if (state.Type === 'Parallel') {
    const n = state.Branches?.length ?? 0;
    return `Parallel: ${n} branch${n === 1 ? '' : 'es'}`;
  }
  if (state.Type === 'Map') return 'Map: once per item';
  return state.Type;
}

function labelSize(lines: string[]): { width: number; height: number } {
  return { width: Math.ceil(Math.max(...lines.map((l) => textWidth(l, LABEL_SIZE))) + 6), height: lines.length * LABEL_LINE + 4 };
}

/** A state name in lines of at most 26 characters, broken at spaces. */
function wrapName(name: string): string[] {
  if (name.length <= 26) return [name];
  const lines: string[] = [];
  for (const word of name.split(' ')) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 1 + word.length <= 26) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

/**
 * The width of a text in a sans-serif font, by character class (generous, so the text fits whichever
 * sans-serif font draws it; measured fonts would make the output depend on the machine).
 */
export function textWidth(text: string, size: number): number {
  let em = 0;
  for (const c of text) {
    if (/[il.,:;'|!]/.test(c)) em += 0.3;
    else if (/[fjrt()[\]{} ]/.test(c)) em += 0.38;
    else if (/[mwMW@]/.test(c)) em += 0.92;
    else if (/[A-Z]/.test(c)) em += 0.7;
    else if (/["$=<>_#%&]/.test(c)) em += 0.7;
    else em += 0.6;
  }
  return em * size;
}

interface LegendItem {
  readonly width: number;
  readonly draw: (x: number, y: number) => string;
}

function legendItems(): LegendItem[] {
  const box = (fill: string, stroke: string, strokeWidth: number, text: string): LegendItem => ({
    width: 34 + textWidth(text, 11) + 18,
    draw: (x, y) => `<rect x="${num(x)}" y="${num(y)}" width="26" height="16" rx="3" fill="${fill}" stroke="${stroke}" stroke-width="${strokeWidth}"/>` +
      `<text x="${num(x + 32)}" y="${num(y + 12)}" font-size="11" fill="${COLOURS.text}">${xml(text)}</text>`,
  });
  const line = (colour: string, strokeWidth: number, dash: boolean, arrow: string, text: string): LegendItem => ({
    width: 44 + textWidth(text, 11) + 18,
    draw: (x, y) => `<path d="M${num(x)},${num(y + 8)} L${num(x + 34)},${num(y + 8)}" stroke="${colour}" stroke-width="${strokeWidth}"` +
      `${dash ? ' stroke-dasharray="6 4"' : ''} marker-end="url(#${arrow})"/>` +
      `<text x="${num(x + 42)}" y="${num(y + 12)}" font-size="11" fill="${COLOURS.text}">${xml(text)}</text>`,
  });
  return [
    box(COLOURS.visitedFill, COLOURS.visitedStroke, 2, 'state entered'),
    box(COLOURS.failedFill, COLOURS.failedStroke, 2, 'state the execution failed in'),
    box(COLOURS.idleFill, COLOURS.idleStroke, 1, 'state not entered'),
    line(COLOURS.takenEdge, 2.6, false, 'arrow-taken', 'transition taken'),
    line(COLOURS.edge, 1.2, false, 'arrow', 'Next, or Choice rule (label: condition; otherwise: Default)'),
    line(COLOURS.edge, 1.2, true, 'arrow', 'Catch (label: the errors caught)'),
  ];
}

/** The legend's items in rows no wider than `width`. */
function legendRows(items: LegendItem[], width: number): LegendItem[][] {
  const rows: LegendItem[][] = [[]];
  let used = 0;
  for (const item of items) {
    if (used + item.width > width && rows[rows.length - 1].length > 0) {
      rows.push([]);
      used = 0;
    }
    rows[rows.length - 1].push(item);
    used += item.width;
  }
  return rows;
}

function renderLegend(rows: LegendItem[][], x: number, y: number): string {
  const parts = ['<g class="legend">'];
  rows.forEach((row, r) => {
    let cursor = x;
    for (const item of row) {
      parts.push(item.draw(cursor, y + r * 24));
      cursor += item.width;
    }
  });
  parts.push('</g>');
  return parts.join('\n');
}

function marker(id: string, colour: string, scale: number): string {
  const w = num(9 * scale);
  const h = num(7 * scale);
  return `<marker id="${id}" viewBox="0 0 10 8" refX="10" refY="4" markerUnits="userSpaceOnUse" markerWidth="${w}" markerHeight="${h}" ` +
    `orient="auto"><path d="M0,0 L10,4 L0,8 z" fill="${colour}"/></marker>`;
}

/** A number for SVG: at most one decimal, no trailing zero. */
function num(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** Text for XML content and attribute values (characters XML 1.0 forbids are dropped). */
export function xml(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
