/** Stands in for a booking partner's site, so following an affiliate link in the demo stays on this machine. */
export async function GET(_request: Request, { params }: { params: Promise<{ partner: string }> }) {
  const { partner } = await params;
  const name = partner.replace(/[^a-z0-9-]/gi, '');
  return new Response(`<!doctype html><title>${name}</title><h1>Partner site: ${name}</h1>`, {
    headers: { 'content-type': 'text/html; charset=utf-8' },
  });
}
