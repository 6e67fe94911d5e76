/**
 * Draws the state machine as an SVG picture: states in layers from the start, transitions as arrows,
 * the states an execution visited in green, the state it ended in (if it failed) in red.
 */
import type { StateMachineDefinition } from './definition';

interface Edge { from: string; to: string; kind: 'next' | 'choice' | 'catch' }

export function edgesOf(definition: StateMachineDefinition): Edge[] {
  const edges: Edge[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Next) edges.push({ from: name, to: state.Next, kind: 'next' });
    for (const choice of state.Choices ?? []) edges.push({ from: name, to: choice.Next, kind: 'choice' });
    if (state.Default) edges.push({ from: name, to: state.Default, kind: 'choice' });
    for (const c of state.Catch ?? []) edges.push({ from: name, to: c.Next, kind: 'catch' });
  }
  return edges;
}

/** Layers by shortest distance from StartAt over normal transitions (catches do not pull states down). */
function layers(definition: StateMachineDefinition, edges: Edge[]): string[][] {
  const depth = new Map<string, number>([[definition.StartAt, 0]]);
  const queue = [definition.StartAt];
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const e of edges.filter((x) => x.from === current && x.kind !== 'catch')) {
      if (!depth.has(e.to)) {
        depth.set(e.to, depth.get(current)! + 1);
        queue.push(e.to);
      }
    }
  }
  let max = Math.max(...depth.values());
  for (const name of Object.keys(definition.States)) {
    if (!depth.has(name)) depth.set(name, ++max);
  }
  const result: string[][] = [];
  for (const [name, d] of depth) (result[d] ??= []).push(name);
  return result.filter(Boolean);
}

export function renderSvg(
  definition: StateMachineDefinition, visited: string[], options: { title: string; failedAt?: string },
): string {
  const edges = edgesOf(definition);
  const rows = layers(definition, edges);
  const boxW = 190, boxH = 34, gapX = 24, gapY = 34, top = 50;
  const width = Math.max(...rows.map((r) => r.length)) * (boxW + gapX) + gapX;
  const pos = new Map<string, { x: number; y: number }>();
  rows.forEach((row, i) => {
    const rowWidth = row.length * (boxW + gapX) - gapX;
    row.forEach((name, j) => pos.set(name, { x: (width - rowWidth) / 2 + j * (boxW + gapX), y: top + i * (boxH + gapY) }));
  });
  const height = top + rows.length * (boxH + gapY) + 10;
  const seen = new Set(visited);
  const taken = new Set(visited.slice(1).map((to, i) => `${visited[i]}->${to}`));
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

  // Error paths (Catch) are drawn only when the execution took them, to keep the picture readable.
  const drawn = edges.filter((e) => e.kind !== 'catch' || taken.has(`${e.from}->${e.to}`));
  const lines = drawn.map((e) => {
    const a = pos.get(e.from)!, b = pos.get(e.to)!;
    const onPath = taken.has(`${e.from}->${e.to}`);
    const x1 = a.x + boxW / 2, y1 = a.y + boxH, x2 = b.x + boxW / 2, y2 = b.y;
    const back = y2 <= y1;
    const path = back
      ? `M${a.x + boxW},${a.y + boxH / 2} C${a.x + boxW + 60},${a.y + boxH / 2} ${b.x + boxW + 60},${b.y + boxH / 2} ${b.x + boxW},${b.y + boxH / 2}`
      : `M${x1},${y1} L${x2},${y2}`;
    const style = onPath ? 'stroke="#1a7f37" stroke-width="2.5"' : `stroke="#999" stroke-width="1"${e.kind === 'catch' ? ' stroke-dasharray="4 3"' : ''}`;
    return `<path d="${path}" fill="none" ${style} marker-end="url(#${onPath ? 'arrowOn' : 'arrow'})"/>`;
  });
  const boxes = [...pos.entries()].map(([name, p]) => {
    const state = definition.States[name];
    const failed = options.failedAt === name;
    const fill = failed ? '#ffd7d5' : seen.has(name) ? '#d2f4d9' : '#f3f3f3';
    const stroke = failed ? '#cf222e' : seen.has(name) ? '#1a7f37' : '#bbb';
    const rx = state.Type === 'Choice' ? 17 : 4;
    return `<g><rect x="${p.x}" y="${p.y}" width="${boxW}" height="${boxH}" rx="${rx}" fill="${fill}" stroke="${stroke}"/>` +
      `<text x="${p.x + boxW / 2}" y="${p.y + 15}" text-anchor="middle" font-size="11" font-family="sans-serif">${esc(name)}</text>` +
      `<text x="${p.x + boxW / 2}" y="${p.y + 28}" text-anchor="middle" font-size="9" fill="#666" font-family="sans-serif">${esc(state.Type)}</text></g>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width + 80}" height="${height}" viewBox="0 0 ${width + 80} ${height}">`,
    '<defs>',
    '<marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#999"/></marker>',
    '<marker id="arrowOn" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#1a7f37"/></marker>',
    '</defs>',
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="12" y="26" font-size="15" font-family="sans-serif" font-weight="bold">${esc(options.title)}</text>`,
    ...lines, ...boxes, '</svg>',
  ].join('\n');
}
