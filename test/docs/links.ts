/**
 * Relative links of the project's Markdown pages, checked: every link or image that names a file of the repository
 * must name one that exists, and every `#anchor` must name a heading (or an HTML anchor) of the page it points at.
 * The Markdown is read with commonmark (the CommonMark reference parser), so links inside code are not links;
 * anchors follow GitHub's rule for a heading's id.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Node, Parser } from 'commonmark';

/** A link that points at nothing. */
export interface BrokenLink {
  /** The page that holds the link, relative to the root. */
  readonly file: string;
  /** The link's destination as written. */
  readonly link: string;
  /** Why it points at nothing. */
  readonly problem: string;
}

const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i; // https:, mailto:, ...

/**
 * GitHub's id of a heading (github-slugger): the heading's text in lower case, without the characters that are
 * not letters, marks, digits, spaces, hyphens or underscores, spaces turned into hyphens; a repeated id gets -1, -2, ...
 */
export function headingIds(headingTexts: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return headingTexts.map((text) => {
    const base = text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    return count === 0 ? base : `${base}-${count}`;
  });
}

/** The text of a node as GitHub renders it into a heading's id: text and inline code, without markup. */
function textOf(node: Node): string {
  let text = '';
  const walker = node.walker();
  let event;
  while ((event = walker.next())) {
    if (!event.entering) continue;
    const n = event.node;
    if (n.type === 'text' || n.type === 'code') text += n.literal ?? '';
    else if (n.type === 'softbreak' || n.type === 'linebreak') text += ' ';
  }
  return text;
}

interface Page {
  readonly anchors: ReadonlySet<string>;
  readonly links: readonly string[];
}

/** The anchors a page offers and the destinations of its links and images. */
export function readPage(markdown: string): Page {
  const document = new Parser().parse(markdown);
  const headings: string[] = [];
  const htmlAnchors: string[] = [];
  const links: string[] = [];
  const walker = document.walker();
  let event;
  while ((event = walker.next())) {
    if (!event.entering) continue;
    const node = event.node;
    if (node.type === 'heading') headings.push(textOf(node));
    if ((node.type === 'link' || node.type === 'image') && node.destination !== null) links.push(node.destination);
    if (node.type === 'html_block' || node.type === 'html_inline') {
      for (const [tag] of (node.literal ?? '').matchAll(/<a\s[^>]*>/gi)) {
        for (const match of tag.matchAll(/\s(name|id|href)="([^"]*)"/gi)) {
          (match[1].toLowerCase() === 'href' ? links : htmlAnchors).push(match[2]);
        }
      }
    }
  }
  return { anchors: new Set([...headingIds(headings), ...htmlAnchors]), links };
}

/** Every broken relative link of the given pages (paths relative to root). */
export function brokenLinks(root: string, files: readonly string[]): BrokenLink[] {
  const pages = new Map<string, Page>();
  const pageOf = (absolute: string): Page => {
    let page = pages.get(absolute);
    if (!page) {
      page = readPage(fs.readFileSync(absolute, 'utf-8'));
      pages.set(absolute, page);
    }
    return page;
  };
  const broken: BrokenLink[] = [];
  for (const file of files) {
    const absolute = path.resolve(root, file);
    for (const link of pageOf(absolute).links) {
      if (EXTERNAL.test(link) || link.startsWith('//')) continue;
      const hash = link.indexOf('#');
      const target = decodeURIComponent(hash < 0 ? link : link.slice(0, hash));
      const anchor = hash < 0 ? undefined : decodeURIComponent(link.slice(hash + 1));
      const targetPath = target === '' ? absolute : path.resolve(path.dirname(absolute), target);
      if (!path.relative(path.resolve(root), targetPath).split(path.sep).every((part) => part !== '..')) {
        broken.push({ file, link, problem: 'points outside the repository' });
        continue;
      }
      if (!fs.existsSync(targetPath)) {
        broken.push({ file, link, problem: `${path.relative(root, targetPath)} does not exist` });
        continue;
      }
      if (anchor === undefined || !targetPath.endsWith('.md') || fs.statSync(targetPath).isDirectory()) continue;
      if (!pageOf(targetPath).anchors.has(anchor)) {
        broken.push({ file, link, problem: `${path.relative(root, targetPath)} has no heading #${anchor}` });
      }
    }
  }
  return broken;
}
