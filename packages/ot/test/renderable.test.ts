import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyChange,
  Delta,
  DocumentTree,
  type Op,
  renderableDocument,
  renderableFix,
} from '../src/index.js';

/** The fix for `change` applied to `doc`, and the result. */
function fixed(doc: Op[], change: Op[]) {
  const after = applyChange(new Delta(doc), new Delta(change));
  const fix = renderableFix(DocumentTree.fromDelta(after), new Delta(change));
  return { fix: fix?.ops, result: fix === undefined ? after.ops : applyChange(after, fix).ops };
}

describe('renderableFix', () => {
  it('[C12] two line formats set at once leave the first of list, header, code block, quote', () => {
    const { fix, result } = fixed(
      [{ insert: 'Title' }, { insert: '\n', attributes: { list: 'ordered' } }, { insert: 'body\n' }],
      [{ retain: 5 }, { retain: 1, attributes: { header: 3 } }],
    );
    // The list is set again, so an editor that switched the line to a heading switches it back.
    expect(fix).toEqual([{ retain: 5 }, { retain: 1, attributes: { list: 'ordered', header: null } }]);
    expect(result).toEqual([
      { insert: 'Title' },
      { insert: '\n', attributes: { list: 'ordered' } },
      { insert: 'body\n' },
    ]);
  });

  it('[C12] a heading wins over a code block and a quote', () => {
    const { result } = fixed(
      [{ insert: 'x' }, { insert: '\n', attributes: { blockquote: true, 'code-block': 'plain' } }],
      [{ retain: 1 }, { retain: 1, attributes: { header: 1 } }],
    );
    expect(result).toEqual([{ insert: 'x' }, { insert: '\n', attributes: { header: 1 } }]);
  });

  it('[C12] formats of text in a code block are removed, the line formats kept', () => {
    const { fix, result } = fixed(
      [{ insert: 'let x' }, { insert: '\n', attributes: { 'code-block': 'plain', indent: 1 } }],
      [{ retain: 4 }, { retain: 1, attributes: { bold: true, link: 'https://a.example' } }],
    );
    expect(fix).toEqual([{ retain: 4 }, { retain: 1, attributes: { bold: null, link: null } }]);
    expect(result).toEqual([
      { insert: 'let x' },
      { insert: '\n', attributes: { 'code-block': 'plain', indent: 1 } },
    ]);
  });

  it('[C12] a line that becomes code loses the formats of its text', () => {
    const { result } = fixed(
      [{ insert: 'a' }, { insert: 'b', attributes: { italic: true } }, { insert: 'c\nnext\n' }],
      [{ retain: 3 }, { retain: 1, attributes: { 'code-block': 'plain' } }],
    );
    expect(result).toEqual([
      { insert: 'abc' },
      { insert: '\n', attributes: { 'code-block': 'plain' } },
      { insert: 'next\n' },
    ]);
  });

  it('[C12] joining a formatted line onto a code line removes the formats it brings', () => {
    const { result } = fixed(
      [
        { insert: 'bold', attributes: { bold: true } },
        { insert: '\n' },
        { insert: 'code' },
        { insert: '\n', attributes: { 'code-block': 'plain' } },
      ],
      [{ retain: 4 }, { delete: 1 }],
    );
    expect(result).toEqual([{ insert: 'boldcode' }, { insert: '\n', attributes: { 'code-block': 'plain' } }]);
  });

  it('[C12] a code line holding an image stops being code and keeps the image', () => {
    const image = { image: 'https://a.example/i.png' };
    const { result } = fixed(
      [{ insert: 'ab' }, { insert: '\n', attributes: { 'code-block': 'plain' } }],
      [{ retain: 1 }, { insert: image }],
    );
    expect(result).toEqual([{ insert: 'a' }, { insert: image }, { insert: 'b\n' }]);
  });

  it('[C12] a line with one line format and formatted text is left as it is', () => {
    expect(
      fixed(
        [
          { insert: 'Big', attributes: { bold: true } },
          { insert: '\n', attributes: { header: 1 } },
        ],
        [{ retain: 1 }, { insert: 'x', attributes: { bold: true } }],
      ).fix,
    ).toBeUndefined();
  });

  it('[C12] only the lines the change touched are read', () => {
    // The first line is not renderable, but the change is on the last one: it is not looked at.
    const { fix } = fixed(
      [{ insert: 'a' }, { insert: '\n', attributes: { header: 1, list: 'bullet' } }, { insert: 'b\n' }],
      [{ retain: 2 }, { insert: 'z' }],
    );
    expect(fix).toBeUndefined();
  });

  it('[C12] the fix is what makes the whole document renderable, wherever the change is', () => {
    const line = fc.record(
      {
        text: fc.array(
          fc.oneof(
            fc.constantFrom('ab', 'c', 'de'),
            fc.constant({ image: 'https://a.example/i.png' } as Record<string, unknown>),
          ),
          { maxLength: 3 },
        ),
        bold: fc.boolean(),
        header: fc.constantFrom(undefined, 1, 2),
        list: fc.constantFrom(undefined, 'bullet'),
        code: fc.constantFrom(undefined, 'plain'),
        quote: fc.constantFrom(undefined, true),
      },
      { requiredKeys: ['text', 'bold'] },
    );
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 6 }), (lines) => {
        const doc = new Delta();
        for (const { text, bold, header, list, code, quote } of lines) {
          for (const insert of text) doc.insert(insert, bold && typeof insert === 'string' ? { bold } : {});
          const formats = { header, list, 'code-block': code, blockquote: quote };
          doc.insert('\n', Object.fromEntries(Object.entries(formats).filter(([, v]) => v !== undefined)));
        }
        const everything = new Delta().retain(doc.length(), { align: null });
        const fix = renderableFix(doc, everything);
        const result = fix === undefined ? doc : applyChange(doc, fix);
        expect(result.ops).toEqual(renderableDocument(doc).ops);
        // Renderable documents need no fix, and the fix never moves a position.
        expect(renderableFix(result, everything)).toBeUndefined();
        expect(result.length()).toBe(doc.length());
      }),
    );
  });
});

describe('DocumentTree lines', () => {
  it('[C12] finds the start and end of the line holding a position across runs', () => {
    const long = 'x'.repeat(3000);
    const tree = DocumentTree.fromDelta(new Delta([{ insert: `a\n${long}\nb\n` }]));
    expect(tree.lineStart(0)).toBe(0);
    expect(tree.lineEnd(0)).toBe(1);
    expect(tree.lineStart(2500)).toBe(2);
    expect(tree.lineEnd(2)).toBe(3002);
    expect(tree.lineStart(3002)).toBe(2);
    expect(tree.lineStart(3003)).toBe(3003);
    expect(tree.slice(3001, 3004).ops).toEqual([{ insert: 'x\nb' }]);
  });

  it('[C12] line ends and starts agree with the text, however the tree was built', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', '\n'), maxLength: 40 }),
        // Formatted inserts are runs of their own: the tree holds many, in any shape.
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.string({ unit: fc.constantFrom('x', '\n'), minLength: 1, maxLength: 3 }),
            fc.boolean(),
          ),
          { maxLength: 12 },
        ),
        (initial, inserts) => {
          let tree = DocumentTree.fromDelta(new Delta([{ insert: `${initial}\n` }]));
          for (const [at, text, bold] of inserts) {
            tree = tree.apply(new Delta().retain(at % tree.length()).insert(text, bold ? { bold } : {}));
          }
          const text = tree
            .toDelta()
            .ops.map((op) => op.insert as string)
            .join('');
          for (let index = 0; index < text.length; index++) {
            expect(tree.lineEnd(index)).toBe(text.indexOf('\n', index));
            expect(tree.lineStart(index)).toBe(index === 0 ? 0 : text.lastIndexOf('\n', index - 1) + 1);
          }
        },
      ),
    );
  });
});
