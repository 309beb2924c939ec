import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/**
 * The console's routes live under `/console/` in the address bar (history API; the API answers its shell for
 * any such path). A route is a path below that base, e.g. `desk/orders/<id>`.
 */
export const BASE = '/console/';

const listeners = new Set<() => void>();

/** The current route (path below `/console/`, no leading slash) and its query. */
export function currentRoute(): { path: string; query: URLSearchParams } {
  const { pathname, search } = location;
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : '';
  return { path: path.replace(/\/+$/, ''), query: new URLSearchParams(search) };
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = BASE + to.replace(/^\/+/, '');
  if (options.replace === true) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  for (const l of listeners) l();
}

/** Re-renders on navigation (links, back and forward). */
export function useRoute(): { path: string; query: URLSearchParams } {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** A link inside the console: a real `<a href>` (middle-click, copy link) that navigates without a reload. */
export function Link(props: {
  to: string;
  children: ComponentChildren;
  class?: string;
  'aria-current'?: 'page' | undefined;
}) {
  const { to, children, ...rest } = props;
  return (
    <a
      {...rest}
      href={BASE + to.replace(/^\/+/, '')}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
