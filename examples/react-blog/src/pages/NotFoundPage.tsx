import { Link } from '../router';

/** Any path the blog does not know. */
export function NotFoundPage() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        Try the <Link href="/">home page</Link>.
      </p>
    </>
  );
}
