import { error } from '@sveltejs/kit';
import { isDocumentId } from '$lib/document-ids';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ params }) => {
  const { id } = params;
  if (!isDocumentId(id)) {
    error(400, {
      message: `“${id.slice(0, 140)}” is not a document id. Ids are 1–128 letters, digits, “-” or “_”.`,
    });
  }
  return { id };
};
