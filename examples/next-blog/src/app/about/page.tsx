
export const metadata = { title: 'About' };

/** What the blog is and what it measures. */
export default function About() {
  return (
    <>
      <h1>About Waymarks</h1>
      <p>
        Two travellers, one blog. We count page views and clicks with our own collector on this server, only after you
        agree, and we never send the text of your comments anywhere.
      </p>
    </>
  );
}
