// The shell: session, landmarks (header, nav, main, footer), routes.
import { useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { isStaff, loadSession, setUnauthenticatedHandler, signOut, type Session } from './api';
import { startInboxStream, stopInboxStream, useUnreadCount } from './inbox-stream';
import { match, navigate, usePath } from './router';
import { Alert } from './ui';
import { SignInPage } from './pages/sign-in';
import { EventsPage, EventPage, MyRsvpsPage } from './pages/events';
import { VolunteerPage, RolePage, MyVolunteeringPage } from './pages/volunteer';
import { InboxPage } from './pages/inbox';
import { SettingsPage } from './pages/settings';
import { DirectoryPage } from './pages/directory';
import { FindMentorPage, MentorProfilePage, MentorshipOverviewPage, MyMentorshipPage } from './pages/mentorship';
import {
  CoordinatorHub,
  CoordinatorEventNew,
  CoordinatorEvent,
  CoordinatorRoleNew,
  CoordinatorRole,
} from './pages/coordinator';

export function App() {
  const path = usePath();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState('');

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      stopInboxStream();
      setSession(null);
    });
    loadSession()
      .then(setSession)
      .catch(() => {
        setError('Homecoming is not answering right now. Please try again in a moment.');
        setSession(null);
      });
  }, []);

  useEffect(() => {
    if (session === null && path !== '/sign-in') navigate('/sign-in', true);
    if (session && path === '/sign-in') navigate('/', true);
    if (session) startInboxStream();
  }, [session, path]);

  if (session === undefined) {
    return (
      <Layout session={null}>
        <p class="muted">Loading…</p>
      </Layout>
    );
  }
  if (session === null) {
    return (
      <Layout session={null}>
        <Alert message={error} />
        <SignInPage />
      </Layout>
    );
  }
  return (
    <Layout session={session} onSignOut={() => setSession(null)}>
      <Routes path={path} session={session} />
    </Layout>
  );
}

function Routes({ path, session }: { path: string; session: Session }) {
  let m: Record<string, string> | null;
  const staff = isStaff(session);
  if (match('/', path)) return <EventsPage />;
  if ((m = match('/events/:id', path))) return <EventPage id={m.id} session={session} />;
  if (match('/my/rsvps', path)) return <MyRsvpsPage />;
  if (match('/volunteer', path)) return <VolunteerPage />;
  if ((m = match('/volunteer/roles/:id', path))) return <RolePage id={m.id} />;
  if (match('/my/volunteering', path)) return <MyVolunteeringPage />;
  if (match('/inbox', path)) return <InboxPage />;
  if (match('/settings', path)) return <SettingsPage session={session} />;
  if (match('/directory', path)) return <DirectoryPage />;
  if (match('/mentorship', path)) return <MyMentorshipPage session={session} />;
  if (match('/mentorship/find', path)) return <FindMentorPage />;
  if (match('/mentorship/profile', path)) return <MentorProfilePage session={session} />;
  if (path.startsWith('/coordinator')) {
    if (!staff) return <NotAllowed />;
    if (match('/coordinator', path)) return <CoordinatorHub />;
    if (match('/coordinator/events/new', path)) return <CoordinatorEventNew />;
    if ((m = match('/coordinator/events/:id', path))) return <CoordinatorEvent id={m.id} />;
    if (match('/coordinator/roles/new', path)) return <CoordinatorRoleNew />;
    if ((m = match('/coordinator/roles/:id', path))) return <CoordinatorRole id={m.id} />;
    if (match('/coordinator/mentorship', path)) return <MentorshipOverviewPage />;
  }
  return <NotFound />;
}

function NotFound() {
  useEffect(() => {
    document.title = 'Not found · Homecoming';
  }, []);
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <a href="/">Back to upcoming events</a>
      </p>
    </section>
  );
}

function NotAllowed() {
  useEffect(() => {
    document.title = 'Not allowed · Homecoming';
  }, []);
  return (
    <section>
      <h1>Coordinators only</h1>
      <p>This page is for event and volunteer coordinators.</p>
    </section>
  );
}

function Layout({
  session,
  onSignOut,
  children,
}: {
  session: Session | null;
  onSignOut?: () => void;
  children: ComponentChildren;
}) {
  const path = usePath();
  const unread = useUnreadCount();
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [path]);
  const link = (href: string, label: ComponentChildren) => {
    const current = href === '/' ? path === '/' || path.startsWith('/events/') : path.startsWith(href);
    return (
      <li>
        <a href={href} aria-current={current ? 'page' : undefined}>
          {label}
        </a>
      </li>
    );
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/">
          Homecoming
        </a>
        {session && (
          <button
            type="button"
            class="menu-toggle"
            aria-expanded={menuOpen}
            aria-controls="site-nav"
            onClick={() => setMenuOpen(!menuOpen)}
          >
            Menu
          </button>
        )}
        {session && (
          <nav id="site-nav" aria-label="Main" class={menuOpen ? 'open' : ''}>
            <ul>
              {link('/', 'Events')}
              {link('/my/rsvps', 'My RSVPs')}
              {link('/volunteer', 'Volunteer')}
              {link('/my/volunteering', 'My volunteering')}
              {link(
                '/inbox',
                <>
                  Inbox
                  {unread > 0 && (
                    <span class="badge" aria-label={`${unread} unread`}>
                      {unread}
                    </span>
                  )}
                </>,
              )}
              {link('/mentorship', 'Mentorship')}
              {link('/directory', 'Directory')}
              {link('/settings', 'Settings')}
              {isStaff(session) && link('/coordinator', 'Coordinate')}
              <li>
                <button
                  type="button"
                  class="link"
                  onClick={async () => {
                    try {
                      await signOut();
                    } finally {
                      stopInboxStream();
                      onSignOut?.();
                    }
                  }}
                >
                  Sign out
                </button>
              </li>
            </ul>
          </nav>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <footer class="bottom">
        <p>
          <a href="tel:988">In crisis? Call or text 988</a>
        </p>
        {session && <p class="muted">Signed in as {session.displayName}</p>}
      </footer>
    </>
  );
}
