/**
 * Lays a state machine's graph out with ELK (elkjs): the layered algorithm, top to bottom, orthogonal edge
 * routing (edges go around boxes, never through them) and edge labels placed by the layout. Node and label
 * sizes come in measured; positions come back. Nothing here knows about Step Functions.
 */
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import ELK from 'elkjs/lib/elk.bundled.js';

export interface Size {
  readonly width: number;
  readonly height: number;
}

export interface LayoutNode extends Size {
  readonly id: string;
}

export interface LayoutEdge {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  /** The label's size, when the edge has one. */
  readonly label?: Size;
  /**
   * Where the label goes: beside the edge's start (the default, so a Choice's conditions sit under it, each
   * by its own arrow), or half way (for edges that loop back up, whose start is where other edges arrive).
   */
  readonly labelAt?: 'start' | 'middle';
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Rect extends Point, Size {}

export interface PlacedEdge {
  readonly id: string;
  /** The route, from the source box's border to the target box's border. */
  readonly points: readonly Point[];
  readonly label?: Rect;
}

export interface Layout extends Size {
  readonly nodes: ReadonlyMap<string, Rect>;
  readonly edges: readonly PlacedEdge[];
}

const OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.randomSeed': '1',
  'elk.padding': '[top=10,left=10,bottom=10,right=10]',
  'elk.spacing.nodeNode': '36',
  'elk.spacing.edgeNode': '18',
  'elk.spacing.edgeEdge': '10',
  'elk.spacing.edgeLabel': '4',
  'elk.layered.spacing.nodeNodeBetweenLayers': '36',
  'elk.layered.spacing.edgeNodeBetweenLayers': '18',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '10',
  'elk.layered.thoroughness': '20',
  // The order the states are given in (from the start state outwards) breaks cycles and ties, so loops
  // point back up and the picture reads from top to bottom.
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.cycleBreaking.strategy': 'DEPTH_FIRST',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  'elk.layered.edgeLabels.sideSelection': 'SMART_DOWN',
};

/** Places the nodes and routes the edges; the same input gives the same layout. */
export async function layoutGraph(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]): Promise<Layout> {
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: OPTIONS,
    children: nodes.map((n) => ({ id: n.id, width: n.width, height: n.height })),
    edges: edges.map((e): ElkExtendedEdge => ({
      id: e.id,
      sources: [e.from],
      targets: [e.to],
      ...(e.label ? {
        labels: [{
          id: `${e.id}-label`,
          text: e.id,
          width: e.label.width,
          height: e.label.height,
          layoutOptions: { 'elk.edgeLabels.placement': e.labelAt === 'middle' ? 'CENTER' : 'TAIL' },
        }],
      } : {}),
    })),
  };
  const elk = new ELK();
  const result = await elk.layout(graph);

  const placed = new Map<string, Rect>();
  for (const child of result.children ?? []) {
    placed.set(child.id, { x: child.x ?? 0, y: child.y ?? 0, width: child.width ?? 0, height: child.height ?? 0 });
  }
  const routed = (result.edges ?? []).map((edge): PlacedEdge => {
    const points: Point[] = [];
    for (const section of edge.sections ?? []) {
      for (const p of [section.startPoint, ...(section.bendPoints ?? []), section.endPoint]) {
        const last = points[points.length - 1];
        if (!last || last.x !== p.x || last.y !== p.y) points.push({ x: p.x, y: p.y });
      }
    }
    const label = edge.labels?.[0];
    return {
      id: edge.id,
      points,
      ...(label ? { label: { x: label.x ?? 0, y: label.y ?? 0, width: label.width ?? 0, height: label.height ?? 0 } } : {}),
    };
  });
  return { width: result.width ?? 0, height: result.height ?? 0, nodes: placed, edges: routed };
}
