/** Tags the page and `mosaik inspect` show by name: a tag travels only as its digest. */
export const KNOWN_TAGS: readonly string[] = ['beacon', 'bootstrap', 'mosaik-inspect'];
