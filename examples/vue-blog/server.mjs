// The Vue travel blog's production build and the reference collector side by side (see
// examples/spa-server): `npm start` builds with Vite, then runs this.
import { serveSpaBlog } from '@waymark/example-spa-server';

await serveSpaBlog({
  title: 'Example Vue travel blog',
  siteId: 'example-vue-blog',
  dir: new URL('.', import.meta.url),
  port: 5174,
  collectorPort: 8788,
});
