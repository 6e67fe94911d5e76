/**
 * Reads back what the picture renderer drew: state boxes, the Start/End marks, edges with their routes,
 * edge labels and the legend, from the SVG's own markup (class and data-* attributes). Also the geometry
 * the tests need: does a segment pass through the inside of a rectangle.
 */

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface DrawnState {
  readonly name: string;
  readonly type: string;
  readonly visited: boolean;
  readonly failed: boolean;
  readonly box: Box;
  readonly fill: string;
}

export interface DrawnEdge {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly kind: string;
  readonly taken: boolean;
  readonly points: { x: number; y: number }[];
  readonly stroke: string;
  readonly strokeWidth: number;
  readonly dashed: boolean;
  readonly marker?: string;
  /** The label's lines, joined by a space; undefined when the edge has no label. */
  readonly label?: string;
  readonly labelBox?: Box;
}

export interface DrawnPicture {
  readonly states: Map<string, DrawnState>;
  /** Start (and End) marks, by `start`/`end`. */
  readonly terminals: Map<string, Box>;
  readonly edges: DrawnEdge[];
  readonly title?: string;
  readonly legend?: string;
}

function attributes(tag: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:-]+)="([^"]*)"/g)) result[m[1]] = unescape(m[2]);
  return result;
}

export function unescape(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, '\'').replace(/&amp;/g, '&');
}

function boxOf(rect: Record<string, string>): Box {
  return { x: Number(rect.x), y: Number(rect.y), width: Number(rect.width), height: Number(rect.height) };
}

/** Parses the renderer's SVG (its own, regular output: one element per line). */
export function readPicture(svg: string): DrawnPicture {
  const states = new Map<string, DrawnState>();
  for (const m of svg.matchAll(/<g class="state" ([^>]*)>\n<rect class="box" ([^>]*)\/>/g)) {
    const g = attributes(m[1]);
    const rect = attributes(m[2]);
    states.set(g['data-state'], {
      name: g['data-state'],
      type: g['data-type'],
      visited: g['data-visited'] === 'true',
      failed: g['data-failed'] === 'true',
      box: boxOf(rect),
      fill: rect.fill,
    });
  }
  const terminals = new Map<string, Box>();
  for (const m of svg.matchAll(/<g class="terminal" data-terminal="(\w+)">\n<rect class="box" ([^>]*)\/>/g)) {
    terminals.set(m[1], boxOf(attributes(m[2])));
  }
  const grounds = new Map<string, Box>();
  for (const m of svg.matchAll(/<rect class="label-ground" ([^>]*)\/>/g)) {
    const rect = attributes(m[1]);
    grounds.set(rect['data-for'], boxOf(rect));
  }
  const labels = new Map<string, { text: string; box: Box }>();
  for (const m of svg.matchAll(/<g class="edge-label" data-for="(\w+)"[^>]*>\n((?:<text[^>]*>[^<]*<\/text>\n)+)<\/g>/g)) {
    const text = [...m[2].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => unescape(t[1])).join(' ');
    labels.set(m[1], { text, box: grounds.get(m[1])! });
  }
  const edges: DrawnEdge[] = [];
  for (const m of svg.matchAll(/<path class="edge" ([^>]*)\/>/g)) {
    const a = attributes(m[1]);
    const points = [...a.d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((p) => ({ x: Number(p[1]), y: Number(p[2]) }));
    const label = labels.get(a['data-id']);
    edges.push({
      id: a['data-id'],
      from: a['data-from'],
      to: a['data-to'],
      kind: a['data-kind'],
      taken: a['data-taken'] === 'true',
      points,
      stroke: a.stroke,
      strokeWidth: Number(a['stroke-width']),
      dashed: a['stroke-dasharray'] !== undefined,
      ...(a['marker-end'] ? { marker: a['marker-end'] } : {}),
      ...(label ? { label: label.text, labelBox: label.box } : {}),
    });
  }
  const title = /<text class="title"[^>]*>([^<]*)<\/text>/.exec(svg)?.[1];
  const legend = /<g class="legend">\n([\s\S]*?)\n<\/g>/.exec(svg)?.[1];
  return { states, terminals, edges, ...(title ? { title: unescape(title) } : {}), ...(legend ? { legend } : {}) };
}

/**
 * Whether the segment a-b passes through the inside of the box (its border excluded, by `margin`):
 * Liang-Barsky clipping against the box shrunk by the margin.
 */
export function segmentCrossesBox(a: { x: number; y: number }, b: { x: number; y: number }, box: Box, margin = 0.5): boolean {
  const xmin = box.x + margin;
  const xmax = box.x + box.width - margin;
  const ymin = box.y + margin;
  const ymax = box.y + box.height - margin;
  if (xmin >= xmax || ymin >= ymax) return false;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  let t0 = 0;
  let t1 = 1;
  const clips: [number, number][] = [[-dx, a.x - xmin], [dx, xmax - a.x], [-dy, a.y - ymin], [dy, ymax - a.y]];
  for (const [p, q] of clips) {
    if (p === 0) {
      if (q <= 0) return false; // parallel to this side and outside (or on) it
    } else {
      const t = q / p;
      if (p < 0) t0 = Math.max(t0, t);
      else t1 = Math.min(t1, t);
      if (t0 >= t1) return false;
    }
  }
  return t1 - t0 > 1e-9;
}

export function boxesOverlap(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** Whether a point lies on the box's border (within `tolerance`). */
export function onBorder(p: { x: number; y: number }, box: Box, tolerance = 1): boolean {
  const inX = p.x >= box.x - tolerance && p.x <= box.x + box.width + tolerance;
  const inY = p.y >= box.y - tolerance && p.y <= box.y + box.height + tolerance;
  const nearX = Math.abs(p.x - box.x) <= tolerance || Math.abs(p.x - (box.x + box.width)) <= tolerance;
  const nearY = Math.abs(p.y - box.y) <= tolerance || Math.abs(p.y - (box.y + box.height)) <= tolerance;
  return (inX && nearY) || (inY && nearX);
}
