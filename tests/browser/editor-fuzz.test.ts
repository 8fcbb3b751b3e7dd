import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { deltaText, seededRandom } from '../support/editing.js';
import {
  editorText,
  noticesShown,
  openDocument,
  type Person,
  recordNotices,
  waitUntilSaved,
} from './support/browser.js';
import { useBrowserSuite } from './support/suite.js';

/*
 * [C9] Every change the web editor can produce is accepted. Two or three real editors on one document are
 * driven by a seeded random mix of what people do: typing, Enter and Backspace at the edges of the
 * document, toolbar formats, shortcuts, undo/redo and pastes of rich HTML. No change may be refused (the
 * editor would say so in its notice line), and at the end every editor equals the server and shows what
 * a fresh load of it shows [C12].
 *
 * The seeds below run in CI. `FUZZ_SEEDS=1-200 FUZZ_STEPS=120` runs a longer search; a seed that ever
 * failed is added to `pinnedSeeds`, with the steps it needs and a word on what it found.
 */
const steps = Number(process.env.FUZZ_STEPS ?? 50);
const ciSeeds = [11, 23, 47, 100, 108].map((seed) => ({ seed, steps }));
const pinnedSeeds: ReadonlyArray<{ seed: number; steps: number }> = [
  // A heading and a list set on one line at once: each editor showed the one it applied last [C12].
  { seed: 114, steps: 80 },
  // A caret left alone in an empty list item: the comparison took the item's marker for text.
  { seed: 195, steps: 80 },
];

function seedsFromEnv(): Array<{ seed: number; steps: number }> | undefined {
  const spec = process.env.FUZZ_SEEDS;
  if (!spec) return undefined;
  const [from, to] = spec.split('-').map(Number) as [number, number | undefined];
  return Array.from({ length: (to ?? from) - from + 1 }, (_, i) => ({ seed: from + i, steps }));
}

const suite = useBrowserSuite();

const pastes = [
  '<h2>Plan</h2><p>First <b>bold</b> and <i>italic</i></p><ul><li>one</li><li>two</li></ul>',
  '<pre>const x = 1;\nreturn x;</pre><p>after code</p>',
  '<blockquote>quoted line</blockquote><p style="text-align:center">centred</p>',
  '<ol><li>alpha</li><li><u>beta</u></li></ol><p><a href="https://example.com">link</a></p>',
  '<p>plain <s>strike</s></p><h1>Big</h1>',
];

type Action = (page: Page, random: () => number) => Promise<void>;

const pick = <T>(random: () => number, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)] as T;

const word = (random: () => number) =>
  Array.from({ length: 1 + Math.floor(random() * 6) }, () =>
    String.fromCharCode(97 + Math.floor(random() * 26)),
  ).join('');

const toolbarButtons = [
  '.ql-code-block',
  '.ql-list[value="ordered"]',
  '.ql-list[value="bullet"]',
  '.ql-blockquote',
  '.ql-indent[value="+1"]',
  '.ql-indent[value="-1"]',
  '.ql-clean',
  '.ql-bold',
  '.ql-italic',
  '.ql-strike',
];

const actions: readonly [number, Action][] = [
  [6, (page, random) => page.keyboard.type(`${word(random)} `)],
  [3, (page) => page.keyboard.press('Enter')],
  [2, (page) => page.keyboard.press('Backspace')],
  [
    2,
    async (page, random) => {
      await page.keyboard.press('Control+End');
      await page.keyboard.press(pick(random, ['Enter', 'Backspace', 'Enter']));
    },
  ],
  [
    1,
    async (page, random) => {
      await page.keyboard.press('Control+Home');
      await page.keyboard.press(pick(random, ['Enter', 'Backspace', 'Delete']));
    },
  ],
  [
    3,
    (page, random) =>
      page.keyboard.press(pick(random, ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End'])),
  ],
  [
    2,
    async (page, random) => {
      const key = pick(random, ['Shift+ArrowLeft', 'Shift+ArrowRight', 'Shift+ArrowUp', 'Shift+Home']);
      for (let i = Math.floor(random() * 4); i >= 0; i--) await page.keyboard.press(key);
    },
  ],
  [4, (page, random) => page.locator(`[role="toolbar"] button${pick(random, toolbarButtons)}`).click()],
  [
    2,
    async (page, random) => {
      const picker = pick(random, ['.ql-header', '.ql-align']);
      await page.locator(`[role="toolbar"] ${picker} .ql-picker-label`).click();
      const items = page.locator(`[role="toolbar"] ${picker} .ql-picker-item`);
      await items.nth(Math.floor(random() * (await items.count()))).click();
    },
  ],
  [2, (page, random) => page.keyboard.press(pick(random, ['Control+b', 'Control+i', 'Control+u']))],
  [2, (page, random) => page.keyboard.press(pick(random, ['Control+z', 'Control+z', 'Control+Shift+z']))],
  [
    1,
    (page, random) =>
      page.locator('.ql-editor').evaluate(
        (editor, html) => {
          const data = new DataTransfer();
          data.setData('text/html', html);
          data.setData('text/plain', html.replace(/<[^>]+>/g, ''));
          editor.dispatchEvent(
            new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }),
          );
        },
        pick(random, pastes),
      ),
  ],
];
const totalWeight = actions.reduce((sum, [weight]) => sum + weight, 0);

function pickAction(random: () => number): Action {
  let roll = random() * totalWeight;
  for (const [weight, action] of actions) {
    roll -= weight;
    if (roll < 0) return action;
  }
  return actions[0]?.[1] as Action;
}

/** Quill marks a caret that carries formats with a zero-width character that is not in the document. */
const withoutCaretMarks = (text: string) => text.replace(/\uFEFF/g, '');

/**
 * The editor's HTML without the caret's own marks (Quill keeps the formats a caret will type with in
 * elements around it), to compare what editors show. A code block's language
 * is left out where it is Quill's default: Quill writes `data-language="plain"` or nothing for the same
 * format depending on how the line was made, and reads both back as `plain`. Classes are sorted, and
 * adjacent inline elements with the same tag and attributes are joined: Quill does not always merge them
 * after an edit between them (`<a href=x>l</a><a href=x>i</a>`), and reads both forms back as the same
 * document.
 */
function documentHtml(page: Page): Promise<string> {
  return page.locator('.ql-editor').evaluate((editor) => {
    const clone = editor.cloneNode(true) as Element;
    for (const caret of Array.from(clone.querySelectorAll('.ql-cursor'))) {
      // The caret sits inside the formats it carries (an empty <em> around it, say): those go with it.
      let mark: Element = caret;
      while (
        mark.parentElement &&
        mark.parentElement.textContent === mark.textContent &&
        mark.parentElement.matches('em, strong, u, s, a, span')
      ) {
        mark = mark.parentElement;
      }
      mark.remove();
    }
    // A line that held only the caret shows as an empty line, which Quill writes as <br> (after the
    // marker of a list item, which is not text).
    const isMarker = (node: ChildNode) => node instanceof Element && node.classList.contains('ql-ui');
    for (const line of Array.from(
      clone.querySelectorAll('p, h1, h2, h3, h4, h5, h6, li, blockquote, .ql-code-block'),
    )) {
      if (Array.from(line.childNodes).every(isMarker)) line.appendChild(document.createElement('br'));
    }
    for (const line of Array.from(clone.querySelectorAll('[data-language="plain"]'))) {
      line.removeAttribute('data-language');
    }
    // A line's classes come in the order its formats were applied (indent, then align, or the reverse).
    for (const element of Array.from(clone.querySelectorAll('[class]'))) {
      element.setAttribute('class', Array.from(element.classList).sort().join(' '));
    }
    const openingTag = (element: Element) => (element.cloneNode(false) as Element).outerHTML;
    for (const element of Array.from(clone.querySelectorAll('a, strong, em, u, s, span, code, sub, sup'))) {
      let next = element.nextSibling;
      // An empty text node (a caret mark's leftover) may sit between the two.
      while (next instanceof Text && next.data.replace(/\uFEFF/g, '') === '') {
        const after: ChildNode | null = next.nextSibling;
        next.remove();
        next = after;
      }
      while (clone.contains(element) && next instanceof Element && openingTag(next) === openingTag(element)) {
        element.append(...Array.from(next.childNodes));
        next.remove();
        next = element.nextSibling;
      }
    }
    return clone.innerHTML.replace(/\uFEFF/g, '');
  });
}

async function fuzz(seed: number, steps: number): Promise<void> {
  const random = seededRandom(seed);
  const id = randomUUID();
  await suite.app.api.documents.create.mutate({
    id,
    delta: {
      ops: [
        { insert: 'Start\n' },
        { insert: 'code', attributes: {} },
        { insert: '\n', attributes: { 'code-block': 'plain' } },
      ],
    },
  });
  const names = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing'].slice(0, 2 + (seed % 2));
  const people: Person[] = [];
  for (const name of names) {
    const person = await suite.person(name);
    await recordNotices(person.page);
    await openDocument(person, id);
    await person.page.locator('.ql-editor').click();
    people.push(person);
  }
  for (let step = 0; step < steps; step++) {
    // One action per editor per round, started together so that edits cross on the wire.
    await Promise.all(
      people.map(async (person, index) => {
        const own = seededRandom(seed * 1000 + step * 10 + index);
        await pickAction(own)(person.page, own);
      }),
    );
    if (random() < 0.2) await people[0]?.page.waitForTimeout(Math.floor(random() * 50));
  }
  for (const person of people) await waitUntilSaved(person.page, 30_000);
  const stored = await suite.app.api.documents.get.query({ id });
  for (const person of people) {
    const notices = await noticesShown(person.page);
    expect(notices, `notices shown to ${person.name} (seed ${seed})`).toEqual([]);
    await expect
      .poll(async () => withoutCaretMarks(await editorText(person.page)), {
        message: `${person.name}, seed ${seed}`,
      })
      .toBe(deltaText(stored.delta));
  }
  // Equal text, then equal formatting: a remote change may still be rendering in one editor, so wait for it.
  const shown = () => Promise.all(people.map((person) => documentHtml(person.page)));
  await expect
    .poll(async () => new Set(await shown()).size, { timeout: 10_000 })
    .toBe(1)
    .catch(async (error: unknown) => {
      throw new Error(`editors show different documents (seed ${seed}): ${whereTheyDiffer(await shown())}`, {
        cause: error,
      });
    });
  // [C12] And what they show is what a fresh load of the stored document shows.
  const reader = await suite.person('Fresh Reader');
  await openDocument(reader, id);
  const [editors = '', fresh] = await Promise.all([
    documentHtml(people[0]?.page as Page),
    documentHtml(reader.page),
  ]);
  if (fresh !== editors) {
    throw new Error(
      `a fresh load differs from the editors (seed ${seed}): ${whereTheyDiffer([editors, fresh])}`,
    );
  }
}

/** Where the first editor's HTML and another's part, with some context: what a failure is about. */
function whereTheyDiffer(htmls: readonly string[]): string {
  const [first = '', ...others] = htmls;
  const other = others.find((html) => html !== first) ?? first;
  let at = 0;
  while (at < first.length && first[at] === other[at]) at++;
  const excerpt = (html: string) => html.slice(Math.max(0, at - 200), at + 200);
  return `\n  one:     …${excerpt(first)}…\n  another: …${excerpt(other)}…`;
}

describe('[C9] [C12] the web editor under random editing', () => {
  const seeds = seedsFromEnv() ?? [...ciSeeds, ...pinnedSeeds];
  it.each(seeds)(
    '[C9] [C12] seed $seed ($steps steps): no change refused; every editor equals the server and a fresh load',
    async ({ seed, steps }) => {
      await fuzz(seed, steps);
    },
    600_000,
  );
});
