// Shared pieces of the browser tests: the harness's fixtures, signing in through the edge's
// real routes, calling the API as a given member, and Mailpit.
import { readFileSync, mkdirSync } from 'node:fs';
import { expect, request, type APIRequestContext, type BrowserContext, type Page } from '@playwright/test';

export interface Member {
  id: string;
  email: string;
  displayName: string;
}
export interface Fixtures {
  members: { alumna: Member; alumna2: Member; alumnus: Member; coordinator: Member; mentor: Member };
  screenshotsDir: string;
}

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the browser tests through scripts/browser-test.sh`);
  return v;
}

export const baseURL = required('HC_E2E_BASE_URL').replace(/\/+$/, '');
export const mailpitURL = required('HC_E2E_MAILPIT_URL').replace(/\/+$/, '');
export const fixtures: Fixtures = JSON.parse(readFileSync(required('HC_E2E_FIXTURES'), 'utf8')) as Fixtures;
mkdirSync(fixtures.screenshotsDir, { recursive: true });

/** Headers a same-origin browser POST carries. */
export const sameOrigin = { Origin: baseURL };

/**
 * Signs `member` in through the local-only dev sign-in (POST /auth/dev). `ctx` is a browser
 * context's request (cookies shared with its pages) or a standalone request context.
 */
export async function signInDev(ctx: APIRequestContext, member: Member): Promise<void> {
  const res = await ctx.post('/auth/dev', {
    form: { member_id: member.id },
    headers: sameOrigin,
    maxRedirects: 0,
  });
  expect(res.status(), `dev sign-in for ${member.displayName}`).toBe(303);
  const session = await ctx.get('/auth/session');
  expect(session.status()).toBe(200);
}

export async function signInBrowser(context: BrowserContext, member: Member): Promise<Page> {
  await signInDev(context.request, member);
  return context.newPage();
}

/** A member's API client: a request context with a session and its CSRF token. */
export class Api {
  private constructor(
    readonly ctx: APIRequestContext,
    readonly csrf: string,
  ) {}

  static async as(member: Member): Promise<Api> {
    const ctx = await request.newContext({ baseURL });
    await signInDev(ctx, member);
    const s = (await (await ctx.get('/auth/session')).json()) as { csrfToken: string };
    return new Api(ctx, s.csrfToken);
  }

  /** The raw response of a Connect call (status and JSON body). */
  async raw(path: string, body: unknown, headers: Record<string, string> = {}) {
    const res = await this.ctx.post(`/${path}`, {
      data: body,
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': this.csrf, ...sameOrigin, ...headers },
    });
    let json: Record<string, unknown> = {};
    try {
      json = (await res.json()) as Record<string, unknown>;
    } catch {
      // Not JSON: the status says enough.
    }
    return { status: res.status(), json };
  }

  async call<T = Record<string, unknown>>(path: string, body: unknown): Promise<T> {
    const r = await this.raw(path, body);
    expect(r.status, `${path}: ${JSON.stringify(r.json)}`).toBe(200);
    return r.json as T;
  }

  dispose(): Promise<void> {
    return this.ctx.dispose();
  }
}

export const EVENTS = 'alumni.events.v1.EventsService';
export const MEMBERSHIP = 'alumni.membership.v1.MembershipService';
export const VOLUNTEERING = 'alumni.volunteering.v1.VolunteeringService';
export const NOTIFICATIONS = 'alumni.notifications.v1.NotificationsService';
export const MENTORSHIP = 'alumni.volunteering.v1.MentorshipService';

/**
 * A day of its own for one test's event (far enough ahead and spread out that reruns on the
 * same database do not crowd one day's list), 18:00-20:00 in the browser's zone.
 */
export function eventDay(): { start: Date; end: Date; day: string } {
  const start = new Date();
  start.setDate(start.getDate() + 30 + Math.floor(Math.random() * 600));
  start.setHours(18, 0, 0, 0);
  const end = new Date(start.getTime() + 2 * 3600_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${start.getFullYear()}-${pad(start.getMonth() + 1)}-${pad(start.getDate())}`;
  return { start, end, day };
}

export async function createEvent(
  coordinator: Api,
  title: string,
  capacity: number,
  when = eventDay(),
): Promise<{ eventId: string; day: string }> {
  const r = await coordinator.call<{ event: { eventId: string } }>(`${EVENTS}/CreateEvent`, {
    event: {
      title,
      description: 'Coffee and conversation.',
      kind: 'EVENT_KIND_SOBER_SOCIAL',
      startTime: when.start.toISOString(),
      endTime: when.end.toISOString(),
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
      venue: 'Community room, 12 Elm St',
      capacity,
      waitlistEnabled: true,
      visibility: 'VISIBILITY_MEMBERS',
    },
  });
  return { eventId: r.event.eventId, day: when.day };
}

interface MailpitList {
  messages: { ID: string; Subject: string; Created: string; To: { Address: string }[] }[];
}

/** Waits for the newest sign-in email to `email` sent after `since`; returns the link in it. */
export async function signInLinkFromMailpit(email: string, since: Date): Promise<string> {
  const ctx = await request.newContext();
  try {
    let id = '';
    await expect
      .poll(
        async () => {
          const list = (await (await ctx.get(`${mailpitURL}/api/v1/messages?limit=50`)).json()) as MailpitList;
          const m = list.messages.find(
            (x) =>
              x.To.some((t) => t.Address.toLowerCase() === email.toLowerCase()) &&
              x.Subject === 'Your Homecoming sign-in link' &&
              new Date(x.Created).getTime() >= since.getTime() - 2000,
          );
          id = m?.ID ?? '';
          return id;
        },
        { message: `a sign-in email to the alumna in Mailpit`, timeout: 30_000 },
      )
      .not.toBe('');
    const msg = (await (await ctx.get(`${mailpitURL}/api/v1/message/${id}`)).json()) as { Text: string };
    const link = /https?:\/\/[^\s<>"]+\/auth\/link\?token=[^\s<>"]+/.exec(msg.Text)?.[0];
    expect(link, 'the email carries a sign-in link').toBeTruthy();
    // The link names HC_EDGE_PUBLIC_URL; follow its path on the edge under test.
    const u = new URL(link!);
    return `${baseURL}${u.pathname}${u.search}`;
  } finally {
    await ctx.dispose();
  }
}

/** Every page shows the crisis line and a discreet title. */
export async function expectDiscreetChrome(page: Page): Promise<void> {
  await expect(page.getByRole('link', { name: 'In crisis? Call or text 988' })).toHaveAttribute('href', 'tel:988');
  const title = await page.title();
  expect(title).toMatch(/^(?:[A-Za-z' ]+ · )?Homecoming$/);
  expect(title).not.toMatch(/rehab|treatment|addiction|detox|recovery|sober|relapse/i);
}
