/** Route params as Next.js gives them: a catch-all is an array. */
export type RouteParams = Record<string, string | string[] | undefined>;

const decode = (segment: string) => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/**
 * The route pattern of an App Router path, rebuilt from its params: `/destinations/pt/lisbon` with
 * `{ country: 'pt', slug: 'lisbon' }` gives `/destinations/[country]/[slug]`; a catch-all gives `[...name]`.
 */
export function routePattern(pathname: string, params: RouteParams | null | undefined): string {
  const segments = pathname.split('/');
  let from = 1;
  for (const [name, value] of Object.entries(params || {})) {
    if (value === undefined) continue;
    const parts = Array.isArray(value) ? value : [value];
    if (!parts.length) continue;
    for (let i = from; i + parts.length <= segments.length; i++) {
      if (parts.every((part, j) => decode(segments[i + j]) === part)) {
        segments.splice(i, parts.length, Array.isArray(value) ? `[...${name}]` : `[${name}]`);
        from = i + 1;
        break;
      }
    }
  }
  return segments.join('/');
}
