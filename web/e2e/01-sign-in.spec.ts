// Must show: an alumna signs in with the emailed link (read from Mailpit); the link works once.
import { expect, test } from '@playwright/test';
import { baseURL, expectDiscreetChrome, fixtures, sameOrigin, signInLinkFromMailpit } from './helpers';

const { alumna } = fixtures.members;

test('SignIn.EmailedLinkSignsTheAlumnaInOnceOnly', async ({ page, browser }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/sign-in$/);
  await expectDiscreetChrome(page);

  const since = new Date();
  await page.getByLabel('Email').fill(alumna.email);
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await expect(page.getByRole('status')).toContainText('Check your email');

  const link = await signInLinkFromMailpit(alumna.email, since);
  // Opening the link (as a mail scanner would) does not sign in: a button does.
  await page.goto(link);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(`${baseURL}/`);
  await expect(page.getByRole('heading', { name: 'Upcoming events' })).toBeVisible();
  await expect(page.getByText(`Signed in as ${alumna.displayName}`)).toBeVisible();

  // Replayed in another browser: refused, and no session comes of it.
  const other = await browser.newContext();
  const p2 = await other.newPage();
  await p2.goto(link);
  const [res] = await Promise.all([
    p2.waitForResponse((r) => r.url().endsWith('/auth/link') && r.request().method() === 'POST'),
    p2.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  expect(res.status()).toBe(400);
  await expect(p2.getByText('This sign-in link has expired or was already used')).toBeVisible();
  expect((await other.request.get('/auth/session')).status()).toBe(401);
  await other.close();
});

test('SignIn.SameAnswerForAnyAddress', async ({ request }) => {
  // Another member's address than the first test's, to stay clear of the per-address limit.
  const member = await request.post('/auth/email-link', {
    data: { email: fixtures.members.alumna2.email },
    headers: sameOrigin,
  });
  const stranger = await request.post('/auth/email-link', {
    data: { email: `nobody-${Date.now()}@example.org` },
    headers: sameOrigin,
  });
  expect(member.status()).toBe(202);
  expect(stranger.status()).toBe(202);
  expect(await stranger.json()).toEqual(await member.json());
});

test('SignIn.SignOutEndsTheSession', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const { signInDev } = await import('./helpers');
  await signInDev(context.request, fixtures.members.alumnus);
  await page.goto('/');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  expect((await context.request.get('/auth/session')).status()).toBe(401);
  await context.close();
});
