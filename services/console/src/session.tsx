import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiFailure, BACKGROUND_HEADER, ok, setCsrfToken, setOnUnauthenticated } from './api/client.js';
import type { Session } from './api/types.js';
import { navigate } from './router.js';

/** Where a visit stands: asking the API, nobody signed in, or a person's session at a stage. */
export type SessionState =
  | { status: 'loading' }
  | { status: 'signed-out'; expired: boolean }
  | { status: 'in'; session: Session };

interface SessionContext {
  state: SessionState;
  /** A new session answer (sign-in, password change, enrolment): kept, with its CSRF token. */
  accept: (session: Session) => void;
  /** Ends the session at the API; rejects (the person still signed in) when the API did not end it. */
  signOut: () => Promise<void>;
}

const Context = createContext<SessionContext | null>(null);

/** How often a signed-in console asks, in the background, whether its session still lives. */
const SESSION_CHECK_MS = 60_000;

/** Reads the session from the API once (the cookie is HttpOnly), then follows sign-in and sign-out. */
export function SessionProvider(props: { children: ComponentChildren }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const accept = useCallback((session: Session) => {
    setCsrfToken(session.csrfToken);
    setState({ status: 'in', session });
  }, []);
  const ended = useCallback((expired: boolean) => {
    setCsrfToken(null);
    setState({ status: 'signed-out', expired });
  }, []);
  useEffect(() => {
    setOnUnauthenticated(() => ended(true));
    // No session (401) or no answer at all: either way the sign-in page is where to start.
    ok(api.GET('/v1/session')).then(accept, () => setState({ status: 'signed-out', expired: false }));
    return followBackForwardCache(accept, ended);
  }, [accept, ended]);
  // A page that asks the API nothing more (a report with its reporter's contact details shown) would stay on an
  // unattended screen after its session ended. So the console asks every minute whether the session lives, in the
  // background (no use of the session: it still goes idle), and shows the sign-in page once it does not.
  const signedIn = state.status === 'in';
  useEffect(() => {
    if (!signedIn) return;
    const timer = setInterval(() => {
      api.GET('/v1/session', { headers: { [BACKGROUND_HEADER]: '1' } }).then(
        ({ response }) => response.status === 401 && ended(true),
        () => undefined,
      );
    }, SESSION_CHECK_MS);
    return () => clearInterval(timer);
  }, [signedIn, ended]);
  const signOut = useCallback(async () => {
    try {
      await ok(api.DELETE('/v1/session'));
    } catch (err) {
      // Only the API ends a session (its cookie is HttpOnly, out of the page's reach). Unless it answers that this
      // one has ended already, the person is still signed in and is told so: the sign-in page shown over a live
      // session would let the next person at this browser in as them with a reload.
      if (!(err instanceof ApiFailure && err.status === 401)) throw err;
    }
    // The next person starts at the console's front page, not where this one left off.
    navigate('', { replace: true });
    setCsrfToken(null);
    setState({ status: 'signed-out', expired: false });
  }, []);
  const value = useMemo(() => ({ state, accept, signOut }), [state, accept, signOut]);
  return <Context.Provider value={value}>{props.children}</Context.Provider>;
}

/**
 * A console the browser kept when the person went elsewhere in the tab, and shows again on Back (the back-forward
 * cache), comes back as it was left, without asking the API anything: a reporter's contact details, the desk,
 * after the session ended. So the page is hidden as it is left for the cache, and shown again only once the API
 * has said whether the session still lives (`accept`) or not (`signedOut`: the sign-in page). Answers the
 * listeners' removal.
 */
function followBackForwardCache(
  accept: (session: Session) => void,
  signedOut: (expired: boolean) => void,
): () => void {
  const left = (e: PageTransitionEvent) => {
    if (e.persisted) document.body.hidden = true;
  };
  const back = (e: PageTransitionEvent) => {
    if (!e.persisted) return;
    ok(api.GET('/v1/session'))
      .then(accept, (err: unknown) => signedOut(err instanceof ApiFailure && err.status === 401))
      .finally(() => {
        document.body.hidden = false;
      });
  };
  addEventListener('pagehide', left);
  addEventListener('pageshow', back);
  return () => {
    removeEventListener('pagehide', left);
    removeEventListener('pageshow', back);
  };
}

export function useSession(): SessionContext {
  const s = useContext(Context);
  if (s === null) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The signed-in person's session (pages below the sign-in only). */
export function useFullSession(): Session {
  const { state } = useSession();
  if (state.status !== 'in') throw new Error('no session');
  return state.session;
}
