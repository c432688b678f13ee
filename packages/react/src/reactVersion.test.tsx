import { render, screen } from '@testing-library/react';
import { useState, version } from 'react';
import { version as domVersion } from 'react-dom';
import { version as serverVersion } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

function Major() {
  const [major] = useState(() => version.split('.')[0]);
  return <p>{major}</p>;
}

// The unit-react18 project sets WAYMARK_REACT_MAJOR and runs these tests on React 18; unit-browser runs them on 19.
const expected = process.env.WAYMARK_REACT_MAJOR ?? '19';

describe('the React these tests run on', () => {
  it('is the major the project asks for, for react, react-dom, its server renderer and Testing Library alike', () => {
    render(<Major />);
    expect(version.split('.')[0]).toBe(expected);
    expect(domVersion.split('.')[0]).toBe(expected);
    expect(serverVersion.split('.')[0]).toBe(expected);
    expect(screen.getByText(expected)).toBeDefined();
  });
});
