// Must show: an alumnus reaches no coordinator action and no internal RPC through the edge,
// cannot read another member's profile; no session, a forged cookie and a cross-site POST are
// refused.
import { expect, request, test } from '@playwright/test';
import { Api, EVENTS, MEMBERSHIP, VOLUNTEERING, baseURL, createEvent, fixtures, sameOrigin, signInBrowser } from './helpers';

const { alumna, alumnus, coordinator } = fixtures.members;

test('Access.AlumnusGetsPermissionDeniedOnCoordinatorRpcs', async () => {
  const coord = await Api.as(coordinator);
  const { eventId } = await createEvent(coord, `Open mic ${Date.now()}`, 5);
  const api = await Api.as(alumnus);
  const staffOnly: [string, unknown][] = [
    [`${EVENTS}/CreateEvent`, { event: { title: 'x' } }],
    [`${EVENTS}/CancelEvent`, { eventId }],
    [`${EVENTS}/ListAttendees`, { eventId }],
    [`${EVENTS}/CheckIn`, { eventId, memberId: alumna.id }],
    [`${VOLUNTEERING}/PostRole`, { role: { title: 'x', venue: 'y' } }],
    [`${VOLUNTEERING}/ListHours`, { roleId: 'any' }],
    [`${MEMBERSHIP}/RegisterMember`, { firstName: 'x' }],
    [`${MEMBERSHIP}/AssignRole`, { memberId: alumnus.id, role: 'ROLE_ADMIN' }],
  ];
  for (const [path, body] of staffOnly) {
    const r = await api.raw(path, body);
    expect(r.status, path).toBe(403);
    expect(r.json.code, path).toBe('permission_denied');
  }
  // The event is untouched.
  const ev = await api.call<{ event: { status: string } }>(`${EVENTS}/GetEvent`, { eventId });
  expect(ev.event.status).toBe('EVENT_STATUS_SCHEDULED');
  await api.dispose();
  await coord.dispose();
});

test('Access.InternalRpcsAreNotExposed', async () => {
  for (const who of [alumnus, coordinator]) {
    const api = await Api.as(who);
    const internal: [string, unknown][] = [
      [`${MEMBERSHIP}/GetContact`, { memberId: alumna.id, purpose: 'test' }],
      [`${MEMBERSHIP}/CheckEligibility`, { memberId: alumna.id, minSoberDays: 30, purpose: 'test' }],
      [`${MEMBERSHIP}/GetDisplayNames`, { memberIds: [alumna.id] }],
      [`${MEMBERSHIP}/ResolveSignIn`, { email: alumna.email }],
      ['grpc.health.v1.Health/Check', {}],
    ];
    for (const [path, body] of internal) {
      const r = await api.raw(path, body);
      expect([403, 404], `${path} as ${who.displayName}`).toContain(r.status);
      expect(JSON.stringify(r.json)).not.toContain(alumna.email);
    }
    await api.dispose();
  }
});

test('Access.AlumnusCannotReadAnotherMembersProfile', async () => {
  const api = await Api.as(alumnus);
  const other = await api.raw(`${MEMBERSHIP}/GetMember`, { memberId: alumna.id });
  expect([403, 404]).toContain(other.status);
  expect(JSON.stringify(other.json)).not.toContain(alumna.email);
  const own = await api.call<{ member: { memberId: string } }>(`${MEMBERSHIP}/GetMember`, { memberId: alumnus.id });
  expect(own.member.memberId).toBe(alumnus.id);
  await api.dispose();
});

test('Access.NoSessionIs401', async ({ request: anon }) => {
  const rpc = await anon.post(`/${EVENTS}/ListEvents`, { data: {}, headers: { ...sameOrigin, 'Content-Type': 'application/json' } });
  expect(rpc.status()).toBe(401);
  expect((await rpc.json()).code).toBe('unauthenticated');
  expect((await anon.get('/auth/session')).status()).toBe(401);
  expect((await anon.get('/stream/inbox')).status()).toBe(401);
});

test('Access.ForgedCookieIs401', async () => {
  const forged = await request.newContext({
    baseURL,
    extraHTTPHeaders: { Cookie: 'hc_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
  });
  expect((await forged.get('/auth/session')).status()).toBe(401);
  const rpc = await forged.post(`/${EVENTS}/ListEvents`, {
    data: {},
    headers: { ...sameOrigin, 'Content-Type': 'application/json', 'X-CSRF-Token': 'forged' },
  });
  expect(rpc.status()).toBe(401);
  await forged.dispose();
});

test('Access.CrossSitePostIs403', async () => {
  const api = await Api.as(alumnus);
  const evil = await api.raw(`${EVENTS}/ListEvents`, {}, { Origin: 'http://evil.example' });
  expect(evil.status).toBe(403);
  const noToken = await api.raw(`${EVENTS}/ListEvents`, {}, { 'X-CSRF-Token': '' });
  expect(noToken.status).toBe(403);
  const ok = await api.raw(`${EVENTS}/ListEvents`, {});
  expect(ok.status).toBe(200);
  await api.dispose();

  const anon = await request.newContext({ baseURL });
  const link = await anon.post('/auth/email-link', {
    data: { email: alumna.email },
    headers: { Origin: 'http://evil.example' },
  });
  expect(link.status()).toBe(403);
  await anon.dispose();
});

test('Access.CoordinatorPagesTellAnAlumnusNo', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await signInBrowser(context, alumnus);
  await page.goto('/');
  await expect(page.getByRole('link', { name: 'Coordinate' })).toHaveCount(0);
  await page.goto('/coordinator/events/new');
  await expect(page.getByRole('heading', { name: 'Coordinators only' })).toBeVisible();
  await context.close();
});
