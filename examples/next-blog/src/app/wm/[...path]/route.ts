import { collectorRoute } from '@waymark/next/server';
import { blogCollector } from '../../../collector';

// The collector under the blog's own origin: the tracker posts to /wm/v1/batch, the read API answers at /wm/v1/events.
export const { GET, POST, OPTIONS, DELETE } = collectorRoute({ fetch: (request) => blogCollector().fetch(request) }, { basePath: '/wm' });
