import { createRouter, createWebHistory } from 'vue-router';
import { findDestination, findPost } from '@waymark/example-blog-content';
import DestinationPage from './pages/DestinationPage.vue';
import HomePage from './pages/HomePage.vue';
import NotFoundPage from './pages/NotFoundPage.vue';
import PostPage from './pages/PostPage.vue';
import AboutPage from './pages/AboutPage.vue';

/** The blog's routes; `meta.template` is reported with each page view. */
export function createBlogRouter() {
  const router = createRouter({
    history: createWebHistory(),
    routes: [
      { path: '/', component: HomePage, meta: { template: 'home' } },
      { path: '/destinations/:country', component: DestinationPage, meta: { template: 'destination' } },
      { path: '/destinations/:country/:slug', component: PostPage, meta: { template: 'post' } },
      { path: '/about', component: AboutPage, meta: { template: 'about' } },
      { path: '/:missing(.*)*', component: NotFoundPage, meta: { template: 'not_found' } },
    ],
    scrollBehavior: () => ({ top: 0 }),
  });
  // The title is set before the page view is sent (trackRouter waits for the new page to render).
  router.afterEach((to) => {
    const country = String(to.params.country ?? '');
    const post = to.params.slug ? findPost(country, String(to.params.slug)) : undefined;
    const destination = findDestination(country);
    document.title = [post?.title ?? destination?.name, 'Wayfarer travel blog'].filter(Boolean).join(' · ');
  });
  return router;
}
