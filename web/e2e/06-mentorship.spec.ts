// Peer mentorship through the browser (issue 12): the mentor fills the profile, an alumna asks
// for a mentor, sees the proposal with its explanation, picks it; the mentor accepts; both see
// the match; the alumna logs a check-in whose note only she sees. The new pages pass axe-core
// (no serious or critical violation) at 390×844 and 1280×800, with screenshots.
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { MENTORSHIP, Api, expectDiscreetChrome, fixtures, signInBrowser } from './helpers';

const { alumna, alumnus, coordinator, mentor } = fixtures.members;
const VIEWPORTS = [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
];

/** axe at both sizes, no sideways scrolling on a phone, and a screenshot of each. */
async function checkAccessible(page: Page, name: string): Promise<void> {
  await expect(page.getByText(/^Loading/)).toHaveCount(0);
  await expectDiscreetChrome(page);
  for (const vp of VIEWPORTS) {
    await page.setViewportSize(vp);
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
    const bad = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(bad, `${name} at ${vp.width}px`).toEqual([]);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${name} fits ${vp.width}px`).toBeLessThanOrEqual(1);
    await page.screenshot({ path: join(fixtures.screenshotsDir, `${name}-${vp.width}x${vp.height}.png`), fullPage: true });
  }
  await page.setViewportSize(VIEWPORTS[1]);
}

/** The first weekly window of the form on `page`: Tuesday 18:00-21:00 in the browser's zone. */
async function tuesdayEvening(page: Page): Promise<void> {
  await page.getByLabel('Day 1', { exact: true }).selectOption({ label: 'Tuesday' });
  await page.getByLabel('From (day 1)').fill('18:00');
  await page.getByLabel('Until (day 1)').fill('21:00');
}

function localDate(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

test('Mentorship.ProfileRequestPickAcceptAndCheckIn', async ({ browser }) => {
  const intro = 'Ten years in. I like long walks and honest talk.';
  const note = 'Coffee after the Tuesday meeting; talked about sleep.';

  // The mentor fills the profile.
  const mentorContext = await browser.newContext();
  const mp = await signInBrowser(mentorContext, mentor);
  await mp.goto('/mentorship/profile');
  await expect(mp.getByRole('heading', { level: 1, name: 'Mentor profile' })).toBeVisible();
  await mp.getByLabel('Mentees at once').selectOption('2');
  await mp.getByLabel('Outpatient').check();
  await mp.getByLabel('hiking', { exact: true }).check();
  await mp.getByLabel('Languages (codes, e.g. en, es)').fill('en, es');
  await tuesdayEvening(mp);
  await mp.getByLabel('A short introduction').fill(intro);
  await mp.getByRole('button', { name: 'Save profile' }).click();
  await expect(mp.getByRole('status')).toHaveText('Profile saved.');
  await mp.reload();
  await expect(mp.getByTestId('mentor-load')).toHaveText('0 of 2 places taken');
  await expect(mp.getByLabel('A short introduction')).toHaveValue(intro);
  await checkAccessible(mp, 'mentor-profile');

  // The alumna asks, sees the proposal and why, and picks it.
  const menteeContext = await browser.newContext();
  const ap = await signInBrowser(menteeContext, alumna);
  await ap.goto('/');
  await ap.getByRole('link', { name: 'Mentorship' }).first().click();
  await expect(ap.getByRole('heading', { level: 1, name: 'My mentorship' })).toBeVisible();
  await ap.getByRole('link', { name: 'Find a mentor' }).first().click();
  await expect(ap.getByRole('heading', { level: 1, name: 'Find a mentor' })).toBeVisible();
  await checkAccessible(ap, 'find-mentor');
  await ap.getByLabel('Outpatient').check();
  await ap.getByLabel('hiking', { exact: true }).check();
  await ap.getByLabel('Language (code, e.g. en)').fill('en');
  await tuesdayEvening(ap);
  await ap.getByRole('button', { name: 'Find mentors' }).click();
  const proposals = ap.getByTestId('proposals');
  await expect(proposals.getByRole('heading', { name: `1. ${mentor.displayName}` })).toBeVisible();
  // 30 (one shared focus) + 10 (one interest) + 3 (one hour beyond the required two) + 40 (all
  // places free): the README's score.
  await expect(proposals).toContainText('1 shared focus: 30 points');
  await expect(proposals).toContainText('1 shared interest: 10 points');
  await expect(proposals).toContainText('about 3 hours a week at times that suit you both: 3 points');
  await expect(proposals).toContainText('room for new mentees: 40 points');
  await expect(proposals).toContainText('Score 83');
  await checkAccessible(ap, 'find-mentor-proposals');
  await ap.getByRole('button', { name: `Choose ${mentor.displayName}` }).click();
  await expect(ap.getByTestId('request-status')).toHaveText(new RegExp(`^Waiting for ${mentor.displayName} to answer`));

  // The mentor accepts.
  await mp.goto('/mentorship');
  const asMentor = mp.getByTestId('as-mentor');
  await expect(asMentor.getByTestId('match-status')).toHaveText(
    new RegExp(`^${alumna.displayName} asked you to be their mentor`),
  );
  await checkAccessible(mp, 'my-mentorship-mentor-asked');
  await asMentor.getByRole('button', { name: 'Accept' }).click();
  await expect(asMentor.getByTestId('match-status')).toHaveText(new RegExp(`^Matched with ${alumna.displayName}`));

  // Both see the match; the alumna sees the introduction and logs a check-in.
  await ap.goto('/mentorship');
  const asMentee = ap.getByTestId('as-mentee');
  await expect(asMentee.getByTestId('match-status')).toHaveText(new RegExp(`^Matched with ${mentor.displayName}`));
  await expect(asMentee.getByTestId('introduction')).toHaveText(intro);
  await expect(asMentee.getByLabel('Date')).toHaveValue(localDate());
  await asMentee.getByLabel('Private note (optional, only you see it)').fill(note);
  await asMentee.getByRole('button', { name: 'Log check-in' }).click();
  await expect(asMentee.getByRole('status')).toHaveText('Check-in logged.');
  await expect(asMentee.getByTestId('check-ins')).toContainText(`${localDate()} — you`);
  await expect(asMentee.getByTestId('check-ins')).toContainText(note);
  await checkAccessible(ap, 'my-mentorship-mentee');

  // The mentor sees that a check-in happened, not the alumna's note.
  await mp.reload();
  const mentorsCheckIns = mp.getByTestId('as-mentor').getByTestId('check-ins');
  await expect(mentorsCheckIns).toContainText(`${localDate()} — ${alumna.displayName}`);
  await expect(mentorsCheckIns).not.toContainText('Coffee');
  await checkAccessible(mp, 'my-mentorship-mentor');

  // The coordinator sees totals only.
  const coordContext = await browser.newContext();
  const cp = await signInBrowser(coordContext, coordinator);
  await cp.goto('/coordinator');
  await cp.getByRole('link', { name: 'Mentorship overview' }).click();
  await expect(cp.getByRole('heading', { level: 1, name: 'Mentorship overview' })).toBeVisible();
  await expect(cp.getByTestId('overview-active')).toHaveText('1');
  await checkAccessible(cp, 'coordinator-mentorship');

  // The alumna ends it (a category, no text); she can ask again.
  await asMentee.getByText('End or report a concern').click();
  await asMentee.getByLabel('Why it is ending (only the category is kept)').selectOption({ label: 'It came to a natural end' });
  await asMentee.getByRole('button', { name: 'End mentorship' }).click();
  await expect(ap.getByText('You have no mentor right now.')).toBeVisible();

  await Promise.all([mentorContext.close(), menteeContext.close(), coordContext.close()]);
});

test('Mentorship.OnlyPeerMentorsKeepAProfileAndOnlyStaffSeeTheOverview', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await signInBrowser(context, alumnus);
  await page.goto('/mentorship/profile');
  await expect(page.getByRole('heading', { level: 1, name: 'Become a mentor' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Save profile' })).toHaveCount(0);
  await checkAccessible(page, 'become-a-mentor');
  await page.goto('/coordinator/mentorship');
  await expect(page.getByRole('heading', { level: 1, name: 'Coordinators only' })).toBeVisible();
  await context.close();

  // The edge and the service refuse whatever the app shows.
  const api = await Api.as(alumnus);
  const overview = await api.raw(`${MENTORSHIP}/GetMentorshipOverview`, {});
  expect(overview.status).toBe(403);
  expect(overview.json.code).toBe('permission_denied');
  const upsert = await api.raw(`${MENTORSHIP}/UpsertMentorProfile`, {
    profile: {
      capacity: 1,
      accepting: true,
      languages: ['en'],
      availability: { timeZone: 'UTC', windows: [{ day: 1, startMinute: 1080, endMinute: 1260 }] },
    },
  });
  expect(upsert.status).toBe(403);
  expect(upsert.json.code).toBe('permission_denied');
  await api.dispose();
});
