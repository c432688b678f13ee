// The React travel blog's production build and the reference collector side by side (see
// examples/spa-server): `npm start` builds with Vite, then runs this.
import { serveSpaBlog } from '@waymark/example-spa-server';

await serveSpaBlog({
  title: 'Example React travel blog',
  siteId: 'example-react-blog',
  dir: new URL('.', import.meta.url),
  port: 5175,
  collectorPort: 8789,
});
