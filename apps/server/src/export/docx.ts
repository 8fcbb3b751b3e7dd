import type { Op } from '@collab/protocol';
import {
  AlignmentType,
  Document,
  ExternalHyperlink,
  HeadingLevel,
  ImageRun,
  LevelFormat,
  Packer,
  Paragraph,
  type ParagraphChild,
  ShadingType,
  TextRun,
} from 'docx';
import { sniffImage } from '../images/imageType.js';
import type { EmbeddedImages } from './images.js';
import { type Inline, type Line, linesOf, titleOf } from './lines.js';

const headings = [
  HeadingLevel.HEADING_1,
  HeadingLevel.HEADING_2,
  HeadingLevel.HEADING_3,
  HeadingLevel.HEADING_4,
  HeadingLevel.HEADING_5,
  HeadingLevel.HEADING_6,
] as const;

const alignments: Record<string, (typeof AlignmentType)[keyof typeof AlignmentType]> = {
  center: AlignmentType.CENTER,
  right: AlignmentType.RIGHT,
  justify: AlignmentType.JUSTIFIED,
};

/** Word colours are six hex digits without "#"; anything else (named colours) is left out. */
function wordColor(value: unknown): string | undefined {
  return typeof value === 'string' && /^#[0-9a-fA-F]{6}$/.test(value) ? value.slice(1) : undefined;
}

const listLevels = 9;
const bulletGlyphs = ['•', '◦', '▪'];
const numberFormats = [LevelFormat.DECIMAL, LevelFormat.LOWER_LETTER, LevelFormat.LOWER_ROMAN];

function textRun(text: string, attributes: Inline['attributes'], code: boolean): TextRun {
  const background = wordColor(attributes.background);
  return new TextRun({
    text,
    bold: attributes.bold === true,
    italics: attributes.italic === true,
    strike: attributes.strike === true,
    ...(attributes.underline === true ? { underline: {} } : {}),
    ...(wordColor(attributes.color) ? { color: wordColor(attributes.color) } : {}),
    ...(background ? { shading: { type: ShadingType.CLEAR, fill: background, color: 'auto' } } : {}),
    ...(code || attributes.code === true ? { font: 'Courier New' } : {}),
    ...(attributes.script === 'super' ? { superScript: true } : {}),
    ...(attributes.script === 'sub' ? { subScript: true } : {}),
  });
}

/** Word's image types, by content type; WebP has none and stays a reference. */
const wordImageTypes: Record<string, 'png' | 'jpg' | 'gif'> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
};

/** The widest an image is shown: the text width of a Letter or A4 page with one-inch margins, in pixels. */
const maxImageWidth = 600;

/** An uploaded image as a picture in the file, at its size (narrowed to the page) [H4]. */
function imageRun(url: string, images: EmbeddedImages): ImageRun | undefined {
  const image = images.get(url);
  const type = image && wordImageTypes[image.contentType];
  const info = image && sniffImage(image.bytes);
  if (!image || !type || !info) return undefined;
  const scale = Math.min(1, maxImageWidth / info.width);
  return new ImageRun({
    type,
    data: image.bytes,
    transformation: {
      width: Math.max(1, Math.round(info.width * scale)),
      height: Math.max(1, Math.round(info.height * scale)),
    },
  });
}

function children(line: Line, code: boolean, images: EmbeddedImages): ParagraphChild[] {
  return line.inlines.map((inline) => {
    if (typeof inline.insert !== 'string') {
      const image = inline.insert.image;
      const url = typeof image === 'string' ? image : '';
      const picture = imageRun(url, images);
      if (picture) return picture;
      // Any other image is referenced by URL, which a DOCX cannot show: the link stands in for it.
      return url.startsWith('http')
        ? new ExternalHyperlink({
            link: url,
            children: [new TextRun({ text: `[image: ${url}]`, style: 'Hyperlink' })],
          })
        : new TextRun({ text: '[image]' });
    }
    const link = inline.attributes.link;
    if (typeof link === 'string') {
      return new ExternalHyperlink({
        link,
        children: [new TextRun({ text: inline.insert, style: 'Hyperlink', ...runFormats(inline) })],
      });
    }
    return textRun(inline.insert, inline.attributes, code);
  });
}

function runFormats(inline: Inline) {
  return {
    bold: inline.attributes.bold === true,
    italics: inline.attributes.italic === true,
    strike: inline.attributes.strike === true,
  };
}

function paragraph(line: Line, images: EmbeddedImages): Paragraph {
  const a = line.attributes;
  const level = Math.min(Number(a.indent ?? 0), listLevels - 1);
  const header = typeof a.header === 'number' ? headings[a.header - 1] : undefined;
  const code = a['code-block'] !== undefined && a['code-block'] !== false;
  return new Paragraph({
    children: children(line, code, images),
    ...(header ? { heading: header } : {}),
    ...(typeof a.align === 'string' && alignments[a.align] ? { alignment: alignments[a.align] } : {}),
    ...(a.list === 'ordered' ? { numbering: { reference: 'ordered', level } } : {}),
    ...(a.list !== undefined && a.list !== 'ordered' ? { numbering: { reference: 'bullet', level } } : {}),
    ...(a.list === undefined && a.indent !== undefined ? { indent: { left: 720 * level } } : {}),
    ...(a.blockquote === true ? { style: 'Quote' } : {}),
    ...(code ? { style: 'Code' } : {}),
  });
}

/** A Word document holding the document [H2], built with the `docx` library. */
export async function toDocx(ops: readonly Op[], images: EmbeddedImages = new Map()): Promise<Buffer> {
  const document = new Document({
    title: titleOf(ops),
    numbering: {
      config: [
        {
          reference: 'bullet',
          levels: Array.from({ length: listLevels }, (_, level) => ({
            level,
            format: LevelFormat.BULLET,
            text: bulletGlyphs[level % bulletGlyphs.length] as string,
            alignment: AlignmentType.LEFT,
            style: { paragraph: { indent: { left: 720 * (level + 1), hanging: 360 } } },
          })),
        },
        {
          reference: 'ordered',
          levels: Array.from({ length: listLevels }, (_, level) => ({
            level,
            format: numberFormats[level % numberFormats.length],
            text: `%${level + 1}.`,
            alignment: AlignmentType.LEFT,
            style: { paragraph: { indent: { left: 720 * (level + 1), hanging: 360 } } },
          })),
        },
      ],
    },
    styles: {
      paragraphStyles: [
        {
          id: 'Quote',
          name: 'Quote',
          basedOn: 'Normal',
          run: { italics: true, color: '5F6368' },
          paragraph: {
            indent: { left: 720 },
            border: { left: { style: 'single', size: 12, color: 'CCCCCC', space: 8 } },
          },
        },
        {
          id: 'Code',
          name: 'Code',
          basedOn: 'Normal',
          run: { font: 'Courier New', size: 20 },
          paragraph: { spacing: { after: 0 } },
        },
      ],
    },
    sections: [{ children: linesOf(ops).map((line) => paragraph(line, images)) }],
  });
  return Packer.toBuffer(document);
}
