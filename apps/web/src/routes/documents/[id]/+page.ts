import { parseDocumentId } from '@collab/protocol';
import { error } from '@sveltejs/kit';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ params }) => {
  const id = parseDocumentId(params.id);
  if (!id) {
    error(400, {
      message: `“${params.id.slice(0, 140)}” is not a document id. Ids are 1–128 letters, digits, “-” or “_”.`,
    });
  }
  return { id };
};
