/** Who writes the blog, and what it measures. */
export function AboutPage() {
  return (
    <>
      <h1>About Wayfarer</h1>
      <p>Two writers, slow trains and long lunches. We count readers only with their consent, to learn which guides help.</p>
    </>
  );
}
