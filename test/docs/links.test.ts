import * as fs from 'fs';
import * as path from 'path';
import { brokenLinks, headingIds } from './links';

const ROOT = path.resolve(__dirname, '../..');

/** The project's pages: the Markdown files at the root (README, API, MIGRATION, CONTRIBUTING...) and in docs/. */
function projectPages(): string[] {
  const markdown = (dir: string) => fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith('.md')).map((f) => path.join(dir, f));
  return [...markdown('.'), ...markdown('docs')].map((f) => path.normalize(f));
}

describe('links of the README and docs/', () => {
  test('GIVEN the project pages WHEN every relative link and #anchor is followed THEN each names an existing file and heading', () => {
    const pages = projectPages();
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/policy.md', 'docs/security.md', 'docs/operations.md', 'docs/contributing.md']));
    expect(brokenLinks(ROOT, pages)).toEqual([]);
  });
});

describe('the link check', () => {
  test('GIVEN a page with broken links WHEN checked THEN each missing file, missing heading, missing image and link out of the root is reported, and nothing else (links in code are no links)', () => {
    const fixtures = path.join(__dirname, 'fixtures');
    expect(brokenLinks(fixtures, ['links.md'])).toEqual([
      { file: 'links.md', link: 'missing.md', problem: 'missing.md does not exist' },
      { file: 'links.md', link: 'target.md#no-such-heading', problem: 'target.md has no heading #no-such-heading' },
      { file: 'links.md', link: 'target.md#repeated-2', problem: 'target.md has no heading #repeated-2' },
      { file: 'links.md', link: '#nowhere', problem: 'links.md has no heading #nowhere' },
      { file: 'links.md', link: 'missing.svg', problem: 'missing.svg does not exist' },
      { file: 'links.md', link: '../links.test.ts', problem: 'points outside the repository' },
    ]);
  });

  test("GIVEN headings WHEN their ids are made THEN they follow GitHub's rule: lower case, punctuation dropped, spaces as hyphens, repeats numbered", () => {
    expect(headingIds(['Try it locally: the demo', 'Several stacks, one review', 'Units: outputs, settings and limits', 'Repeated', 'Repeated', 'Café über_alles'])).toEqual([
      'try-it-locally-the-demo', 'several-stacks-one-review', 'units-outputs-settings-and-limits', 'repeated', 'repeated-1', 'café-über_alles',
    ]);
  });
});
