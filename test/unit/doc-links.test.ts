// Every relative link in README.md and docs/ leads somewhere: the file exists and, when the link
// names an anchor, the file has a heading with that anchor (as GitHub makes them). The docs are
// split by reader across many files, so a moved section must not leave a dead link behind.
import { strict as assert } from 'assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(full);
    return entry.name.endsWith('.md') ? [full] : [];
  });
}

/** The text outside fenced code blocks and, unless kept, inline code: where a link is a link. */
function prose(markdown: string, dropInlineCode = true): string {
  const unfenced = markdown.replace(/^```[\s\S]*?^```/gm, '');
  return dropInlineCode ? unfenced.replace(/`[^`\n]*`/g, '') : unfenced;
}

/** GitHub's anchor for a heading: lower case, punctuation gone, spaces as '-'; repeats get -1, -2... */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  const headings = markdown.replace(/^```[\s\S]*?^```/gm, '').match(/^#{1,6} .*$/gm) ?? [];
  for (const heading of headings) {
    const text = heading
      .replace(/^#+ /, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase();
    const slug = text.replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

/** The relative links of a file: [text](target), without web addresses. */
function relativeLinks(markdown: string): string[] {
  const targets = [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]);
  return targets.filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

// A repository path in a code span (`native/dpdk/hot/forward.cc`, `lab/vf/`), not one with a
// placeholder after it (`bench/results/<time>/`, made by a run).
const REPOSITORY_PATH = /(?<![\w/.-])((?:native|src|lab|test|scripts|bench|config|docs)\/[\w./-]*[\w/])(?![\w./<-])/g;

/** The repository paths the prose names in code spans that do not exist. */
function missingPaths(file: string): string[] {
  const spans = [...prose(readFileSync(file, 'utf8'), false).matchAll(/`([^`\n]+)`/g)].map((match) => match[1]);
  const named = spans.flatMap((span) => [...span.matchAll(REPOSITORY_PATH)].map((match) => match[1]));
  return [...new Set(named)].filter((name) => !existsSync(path.join(ROOT, name)));
}

function deadLinks(file: string): string[] {
  const markdown = readFileSync(file, 'utf8');
  return relativeLinks(markdown).flatMap((target) => {
    const [pathPart, anchor] = target.split('#', 2);
    const dest = pathPart === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(pathPart));
    if (!existsSync(dest)) return [`${target}: no such file`];
    if (anchor === undefined) return [];
    if (statSync(dest).isDirectory() || !dest.endsWith('.md')) return [`${target}: an anchor into a non-Markdown file`];
    return anchors(readFileSync(dest, 'utf8')).has(anchor) ? [] : [`${target}: no heading with this anchor`];
  });
}

describe('documentation links', function () {
  const files = [path.join(ROOT, 'README.md'), ...markdownFiles(path.join(ROOT, 'docs'))];

  it('finds the documentation', function () {
    assert.ok(files.length > 10, `only ${files.length} Markdown files`);
  });

  for (const file of files) {
    it(`${path.relative(ROOT, file)}: every relative link points at an existing file and anchor`, function () {
      assert.deepEqual(deadLinks(file), []);
    });
  }

  it('names only repository paths that exist (a moved file takes its docs along)', function () {
    const missing = files.flatMap((file) => missingPaths(file).map((name) => `${path.relative(ROOT, file)}: ${name}`));
    assert.deepEqual(missing, []);
  });

  it('lists every dated note in docs/lab/README.md, each named YYYY-MM-DD-topic.md', function () {
    const notes = readdirSync(path.join(ROOT, 'docs', 'lab', 'notes'));
    const index = relativeLinks(readFileSync(path.join(ROOT, 'docs', 'lab', 'README.md'), 'utf8'));
    for (const note of notes) {
      assert.match(note, /^\d{4}-\d{2}-\d{2}-[a-z0-9-]+\.md$/, `docs/lab/notes/${note}: not YYYY-MM-DD-topic.md`);
      assert.ok(index.includes(`notes/${note}`), `docs/lab/notes/${note} is not listed in docs/lab/README.md`);
    }
  });

  it('computes anchors as GitHub does', function () {
    const found = anchors("# The VF's MAC (`guestMac`)\n## Design notes\n## Design notes\n```\n# not a heading\n```\n");
    assert.deepEqual([...found], ['the-vfs-mac-guestmac', 'design-notes', 'design-notes-1']);
  });
});
