import { createApp } from 'vue';
import { createWaymark, trackRouter } from '@waymark/vue';
import { findDestination, findPost } from '@waymark/example-blog-content';
import App from './App.vue';
import { createBlogRouter } from './router';

// server.mjs writes the collector's URL into index.html; `vite dev` falls back to a local collector.
const endpoint = document.querySelector<HTMLMetaElement>('meta[name="waymark-endpoint"]')?.content || 'http://127.0.0.1:8787';

const router = createBlogRouter();
const waymark = createWaymark({ endpoint, writeKey: 'wk_example_vue_blog', flushInterval: 1000 });

// One page view per navigation, with the route pattern and what the page is about.
trackRouter(router, {
  tracker: waymark.tracker,
  pageView(route) {
    const country = String(route.params.country ?? '');
    const post = route.params.slug ? findPost(country, String(route.params.slug)) : undefined;
    const destination = findDestination(country);
    return {
      template: route.meta.template as string | undefined,
      ...(post && { postId: post.slug, authorId: post.authorId, themes: post.themes, destinations: [post.place] }),
      ...(!post && destination && { destinations: [{ country: destination.country }] }),
    };
  },
});

createApp(App).use(router).use(waymark).mount('#app');
