import { HttpError } from './HttpError';

/**
 * Reads a request body as UTF-8 text, refusing it with 413 as soon as it passes `maxBytes`: first by its
 * `Content-Length`, then by counting the bytes as they stream in, so a body whose `Content-Length` lies (or that
 * has none) is cut off at the cap instead of being buffered whole.
 */
export async function readBody(request: Request, maxBytes: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) {
    await request.body?.cancel().catch(() => undefined);
    throw new HttpError(413, `the request body is ${declared} bytes, above the ${maxBytes}-byte limit`);
  }
  const encoding = request.headers.get('content-encoding');
  if (encoding && encoding.toLowerCase() !== 'identity') {
    // Refusing compressed bodies outright is the simplest defence against decompression bombs.
    await request.body?.cancel().catch(() => undefined);
    throw new HttpError(415, `Content-Encoding "${encoding}" is not accepted: send the batch uncompressed`);
  }
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new HttpError(413, `the request body is above the ${maxBytes}-byte limit`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new HttpError(400, 'the request body is not valid UTF-8');
  }
}
