/**
 * The docs cannot drift: every TypeScript block in docs/*.md is, verbatim, a file of docs/snippets,
 * every snippet is used, and the snippets are the program `tsc -p docs/tsconfig.json` compiles against
 * the packages' sources (in the test command's typecheck step and `pnpm typecheck`: under vitest's
 * coverage the compiler ran six times slower).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const DOCS = join(dirname(fileURLToPath(import.meta.url)), '..');
const SNIPPETS = join(DOCS, 'snippets');

const pages = readdirSync(DOCS)
  .filter((name) => name.endsWith('.md'))
  .map((name) => ({ name, text: readFileSync(join(DOCS, name), 'utf8') }));
const snippets = new Map(
  readdirSync(SNIPPETS)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => [name, readFileSync(join(SNIPPETS, name), 'utf8')]),
);

function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

describe('docs snippets', () => {
  it('finds the pages and the snippets', () => {
    expect(pages.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'getting-started-bot.md',
        'getting-started-callback.md',
        'configuration.md',
        'streaming.md',
        'multi-app.md',
        'deployment.md',
        'troubleshooting.md',
      ]),
    );
    expect(snippets.size).toBeGreaterThan(5);
  });

  it.each(pages.map((p) => [p.name, p.text] as const))(
    '%s: every ts block is a snippet file, verbatim',
    (_name, text) => {
      const contents = new Set(snippets.values());
      for (const block of tsBlocks(text)) {
        expect(contents.has(block), `this block is not (verbatim) a file of docs/snippets:\n${block}`).toBe(
          true,
        );
      }
    },
  );

  it('every snippet file is shown in some page', () => {
    const shown = new Set(pages.flatMap((p) => tsBlocks(p.text)));
    const unused = [...snippets].filter(([, content]) => !shown.has(content)).map(([name]) => name);
    expect(unused).toEqual([]);
  });

  it('the snippets are exactly the program the typecheck step compiles (docs/tsconfig.json)', () => {
    const configFile = join(DOCS, 'tsconfig.json');
    const parsed = ts.getParsedCommandLineOfConfigFile(
      configFile,
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        },
      },
    );
    expect(parsed?.errors ?? []).toEqual([]);
    expect(parsed!.fileNames.map((f) => relative(SNIPPETS, f)).sort()).toEqual([...snippets.keys()].sort());
    const typecheck = JSON.parse(readFileSync(join(DOCS, '..', 'package.json'), 'utf8')).scripts.typecheck;
    expect(typecheck).toContain('tsc -p docs/tsconfig.json');
    expect(readFileSync(join(DOCS, '..', 'scripts', 'test.mjs'), 'utf8')).toContain("'docs/tsconfig.json'");
  });
});
