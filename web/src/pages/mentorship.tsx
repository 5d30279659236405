// Peer mentorship: a mentor's profile, asking for a mentor (proposals, pick one), one's
// matches as mentee and as mentor (answer, check-ins, end, report a concern), and the
// coordinators' overview. The service decides who may do what; the app only hides what
// cannot apply.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, membership, mentorship, type Session } from '../api';
import { onInboxItem, onInboxResync } from '../inbox-stream';
import type {
  Availability,
  ConcernCategory,
  EndReason,
  Match,
  MentorProfile,
  Proposal,
  ShareContact,
  WeeklyWindow,
} from '../types';
import { isMentorshipItem } from '../types';
import { Alert, Loading, Status, browserTimeZone, formatWhen, useAction, useLoad, useTitle } from '../ui';

export function isPeerMentor(session: Session): boolean {
  return session.roles.some((r) => r === 'peer_mentor');
}

// Program types as free tags on the service side; the labels stay neutral.
const PROGRAMS: [string, string][] = [
  ['detox', 'Early days'],
  ['residential', 'Residential stay'],
  ['php', 'Day program'],
  ['iop', 'Intensive evenings'],
  ['outpatient', 'Outpatient'],
];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const END_REASONS: [EndReason, string][] = [
  ['END_REASON_COMPLETED', 'It came to a natural end'],
  ['END_REASON_NOT_A_FIT', 'Not the right fit'],
  ['END_REASON_NO_TIME', 'No time right now'],
  ['END_REASON_OTHER', 'Another reason'],
];
const CONCERNS: [ConcernCategory, string][] = [
  ['CONCERN_CATEGORY_UNRESPONSIVE', 'They stopped answering'],
  ['CONCERN_CATEGORY_BOUNDARIES', 'Boundaries were crossed'],
  ['CONCERN_CATEGORY_SAFETY', 'I feel unsafe'],
  ['CONCERN_CATEGORY_OTHER', 'Something else'],
];

function minutesToTime(m: number): string {
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}
function timeToMinutes(t: string): number {
  const [h, m] = t.split(':').map(Number);
  return (h || 0) * 60 + (m || 0);
}
function today(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
function toggle(list: string[], value: string, on: boolean): string[] {
  return on ? [...list.filter((v) => v !== value), value] : list.filter((v) => v !== value);
}

/** Small sub-navigation shared by the member-facing mentorship pages. */
function MentorshipNav() {
  return (
    <p class="subnav">
      <a href="/mentorship">My mentorship</a> · <a href="/mentorship/find">Find a mentor</a> ·{' '}
      <a href="/mentorship/profile">Mentor profile</a>
    </p>
  );
}

function CheckList({
  name,
  legend,
  options,
  chosen,
  onChange,
}: {
  name: string;
  legend: string;
  options: [string, string][];
  chosen: string[];
  onChange: (next: string[]) => void;
}) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      <div class="check-grid">
        {options.map(([value, label]) => {
          const id = `${name}-${value}`;
          return (
            <div class="check" key={value}>
              <input
                type="checkbox"
                id={id}
                checked={chosen.includes(value)}
                onChange={(e) => onChange(toggle(chosen, value, (e.target as HTMLInputElement).checked))}
              />
              <label for={id}>{label}</label>
            </div>
          );
        })}
      </div>
    </fieldset>
  );
}

/** Reloads `reload` whenever a mentorship item arrives on the inbox stream (an answer, an
 * introduction, an ending), so these pages follow the other party without a page reload; and
 * when a stream starts, since an item that came while there was none is never sent. */
function useMentorshipUpdates(reload: () => Promise<void>) {
  useEffect(() => {
    const offItem = onInboxItem((item) => {
      if (isMentorshipItem(item)) void reload();
    });
    const offResync = onInboxResync(() => void reload());
    return () => {
      offItem();
      offResync();
    };
  }, [reload]);
}

/** Which of one's own addresses the other party may see once matched; nothing unless ticked. */
function ShareContactChoice({
  name,
  value,
  onChange,
}: {
  name: string;
  value: ShareContact;
  onChange: (next: ShareContact) => void;
}) {
  return (
    <fieldset data-testid={`${name}-share`}>
      <legend>Share my contact details once we are matched</legend>
      <p class="meta">
        The introduction to the other person never shows your email or phone unless you tick it here.
      </p>
      <div class="check">
        <input
          type="checkbox"
          id={`${name}-share-email`}
          checked={value.email}
          onChange={(e) => onChange({ ...value, email: (e.target as HTMLInputElement).checked })}
        />
        <label for={`${name}-share-email`}>Share my email address</label>
      </div>
      <div class="check">
        <input
          type="checkbox"
          id={`${name}-share-phone`}
          checked={value.phone}
          onChange={(e) => onChange({ ...value, phone: (e.target as HTMLInputElement).checked })}
        />
        <label for={`${name}-share-phone`}>Share my phone number</label>
      </div>
    </fieldset>
  );
}

const NO_SHARING: ShareContact = { email: false, phone: false };

/** Weekly windows in the browser's zone: day, from, until; add and remove rows. */
function WindowsEditor({
  name,
  windows,
  onChange,
}: {
  name: string;
  windows: WeeklyWindow[];
  onChange: (next: WeeklyWindow[]) => void;
}) {
  const set = (i: number, w: Partial<WeeklyWindow>) =>
    onChange(windows.map((x, j) => (j === i ? { ...x, ...w } : x)));
  return (
    <fieldset>
      <legend>Times that suit you each week</legend>
      <p class="meta">In your time zone ({browserTimeZone()}).</p>
      {windows.map((w, i) => (
        <div class="row" key={i}>
          <div class="field">
            <label for={`${name}-day-${i}`}>Day {i + 1}</label>
            <select
              id={`${name}-day-${i}`}
              value={String(w.day)}
              onChange={(e) => set(i, { day: Number((e.target as HTMLSelectElement).value) })}
            >
              {DAYS.map((d, n) => (
                <option value={String(n)}>{d}</option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for={`${name}-from-${i}`}>From (day {i + 1})</label>
            <input
              id={`${name}-from-${i}`}
              type="time"
              value={minutesToTime(w.startMinute)}
              onInput={(e) => set(i, { startMinute: timeToMinutes((e.target as HTMLInputElement).value) })}
            />
          </div>
          <div class="field">
            <label for={`${name}-until-${i}`}>Until (day {i + 1})</label>
            <input
              id={`${name}-until-${i}`}
              type="time"
              value={minutesToTime(w.endMinute)}
              onInput={(e) => set(i, { endMinute: timeToMinutes((e.target as HTMLInputElement).value) })}
            />
          </div>
          {windows.length > 1 && (
            <button type="button" class="remove" onClick={() => onChange(windows.filter((_, j) => j !== i))}>
              Remove day {i + 1}
            </button>
          )}
        </div>
      ))}
      <button
        type="button"
        onClick={() => onChange([...windows, { day: Math.min(6, (windows.length ? windows[windows.length - 1].day : -1) + 1), startMinute: 18 * 60, endMinute: 20 * 60 }])}
      >
        Add a time
      </button>
    </fieldset>
  );
}

function checkWindows(windows: WeeklyWindow[]): string {
  if (windows.length === 0) return 'Times: add at least one time that suits you.';
  for (const w of windows) {
    if (w.endMinute - w.startMinute < 15) return 'Times: each time must end at least 15 minutes after it starts.';
  }
  return '';
}

function languagesFrom(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

const DEFAULT_WINDOW: WeeklyWindow = { day: 0, startMinute: 18 * 60, endMinute: 20 * 60 };

export function MentorProfilePage({ session }: { session: Session }) {
  useTitle('Mentor profile');
  if (!isPeerMentor(session)) {
    return (
      <section class="narrow">
        <MentorshipNav />
        <h1>Become a mentor</h1>
        <p>
          Mentors are members who have walked this road for a while and offer a few hours to someone who left more
          recently. An admin adds the peer mentor role; if you would like to mentor, ask a coordinator.
        </p>
        <p>
          Looking for a mentor yourself? <a href="/mentorship/find">Find a mentor</a>.
        </p>
      </section>
    );
  }
  return <MentorProfileForm />;
}

function MentorProfileForm() {
  const tags = useLoad(() => membership.interestTags(), []);
  const loaded = useLoad(async () => {
    try {
      return (await mentorship.profile()).profile;
    } catch (e) {
      if (e instanceof ApiError && e.code === 'not_found') return null;
      throw e;
    }
  }, []);
  if (loaded.error) return <Alert message={loaded.error} />;
  if (loaded.data === undefined) return <Loading what="your mentor profile" />;
  return <ProfileEditor initial={loaded.data} tags={tags.data?.tags ?? []} />;
}

function ProfileEditor({ initial, tags }: { initial: MentorProfile | null; tags: string[] }) {
  const [p, setP] = useState<MentorProfile>(
    initial ?? {
      capacity: 2,
      accepting: true,
      programs: [],
      interests: [],
      languages: ['en'],
      availability: { timeZone: browserTimeZone(), windows: [DEFAULT_WINDOW] },
      introduction: '',
      gender: '',
      shareContact: NO_SHARING,
    },
  );
  const [languages, setLanguages] = useState(p.languages.join(', '));
  const act = useAction();
  const [saved, setSaved] = useState('');
  const update = (next: Partial<MentorProfile>) => setP({ ...p, ...next });
  return (
    <section class="narrow">
      <MentorshipNav />
      <h1>Mentor profile</h1>
      <p>
        Tell us how you can help. Your introduction is shown only to a mentee you are matched with; your gender only
        matters when a mentee asks for a mentor of their own gender.
      </p>
      {initial && (
        <p class="meta" data-testid="mentor-load">
          {initial.activeMentees ?? 0} of {initial.capacity} places taken
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setSaved('');
          const langs = languagesFrom(languages);
          if (langs.length === 0) return act.setError('Languages: enter at least one language code, such as en.');
          const windowsError = checkWindows(p.availability.windows);
          if (windowsError) return act.setError(windowsError);
          void act.run(async () => {
            const r = await mentorship.saveProfile({
              ...p,
              languages: langs,
              availability: { ...p.availability, timeZone: browserTimeZone() },
              shareContact: { email: !!p.shareContact?.email, phone: !!p.shareContact?.phone },
            });
            setP(r.profile);
            setSaved('Profile saved.');
          });
        }}
      >
        <div class="row">
          <div class="field">
            <label for="mp-capacity">Mentees at once</label>
            <select
              id="mp-capacity"
              value={String(p.capacity)}
              onChange={(e) => update({ capacity: Number((e.target as HTMLSelectElement).value) })}
            >
              {[1, 2, 3, 4, 5].map((n) => (
                <option value={String(n)}>{n}</option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="mp-languages">Languages (codes, e.g. en, es)</label>
            <input id="mp-languages" value={languages} onInput={(e) => setLanguages((e.target as HTMLInputElement).value)} />
          </div>
        </div>
        <div class="check">
          <input
            type="checkbox"
            id="mp-accepting"
            checked={p.accepting}
            onChange={(e) => update({ accepting: (e.target as HTMLInputElement).checked })}
          />
          <label for="mp-accepting">Accepting new mentees (untick to pause)</label>
        </div>
        <CheckList
          name="mp-program"
          legend="Who you can help best"
          options={PROGRAMS}
          chosen={p.programs}
          onChange={(programs) => update({ programs })}
        />
        <CheckList
          name="mp-interest"
          legend="Interests"
          options={tags.map((t) => [t, t])}
          chosen={p.interests}
          onChange={(interests) => update({ interests })}
        />
        <WindowsEditor
          name="mp"
          windows={p.availability.windows}
          onChange={(windows) => update({ availability: { ...p.availability, windows } })}
        />
        <div class="field">
          <label for="mp-intro">A short introduction</label>
          <textarea
            id="mp-intro"
            rows={4}
            maxLength={1000}
            value={p.introduction}
            onInput={(e) => update({ introduction: (e.target as HTMLTextAreaElement).value })}
          />
        </div>
        <div class="field">
          <label for="mp-gender">Your gender, in your words (optional)</label>
          <input
            id="mp-gender"
            maxLength={60}
            value={p.gender}
            onInput={(e) => update({ gender: (e.target as HTMLInputElement).value })}
          />
        </div>
        <ShareContactChoice
          name="mp"
          value={p.shareContact ?? NO_SHARING}
          onChange={(shareContact) => update({ shareContact })}
        />
        <Alert message={act.error} />
        {saved && <Status>{saved}</Status>}
        <button type="submit" class="primary" disabled={act.busy}>
          Save profile
        </button>
      </form>
    </section>
  );
}

/** Why a proposal ranks where it does, in words, from the score's parts. */
function explain(p: Proposal): string[] {
  const s = p.score;
  const hours = Math.floor(s.overlapMinutes / 60);
  return [
    `${s.sharedPrograms} shared ${s.sharedPrograms === 1 ? 'focus' : 'focuses'}: ${s.focusPoints} points`,
    `${s.sharedInterests} shared ${s.sharedInterests === 1 ? 'interest' : 'interests'}: ${s.interestPoints} points`,
    `about ${hours} ${hours === 1 ? 'hour' : 'hours'} a week at times that suit you both: ${s.overlapPoints} points`,
    `room for new mentees: ${s.loadPoints} points`,
  ];
}

function Proposals({
  requestId,
  proposals,
  onChosen,
}: {
  requestId: string;
  proposals: Proposal[];
  onChosen: () => void;
}) {
  const act = useAction();
  if (proposals.length === 0) {
    return (
      <p data-testid="no-proposals">
        No mentor fits right now. Your request stays open; try other times or fewer preferences, or check back later.
      </p>
    );
  }
  return (
    <>
      <h2>Mentors who fit</h2>
      <Alert message={act.error} />
      <ol class="cards proposals" data-testid="proposals">
        {proposals.map((p) => (
          <li class="card" key={p.mentorId}>
            <h3 class="card-title">
              {p.rank}. {p.displayName || 'A mentor'}
            </h3>
            <p class="meta">Score {p.score.total}, because of:</p>
            <ul class="explain">
              {explain(p).map((line) => (
                <li>{line}</li>
              ))}
            </ul>
            <div class="actions">
              <button
                type="button"
                class="primary"
                disabled={act.busy}
                aria-label={`Choose ${p.displayName || `mentor ${p.rank}`}`}
                onClick={() =>
                  act.run(async () => {
                    await mentorship.choose(requestId, p.mentorId);
                    onChosen();
                  })
                }
              >
                Choose
              </button>
            </div>
          </li>
        ))}
      </ol>
    </>
  );
}

function matchText(m: Match, asMentor: boolean): string {
  const name = m.otherDisplayName || (asMentor ? 'A member' : 'your mentor');
  switch (m.status) {
    case 'MATCH_STATUS_CHOSEN':
      return asMentor
        ? `${name} asked you to be their mentor. Please answer by ${formatWhen(m.respondBy)}.`
        : `Waiting for ${name} to answer (by ${formatWhen(m.respondBy)}).`;
    case 'MATCH_STATUS_ACTIVE':
      return `Matched with ${name}${m.startedAt ? ` since ${formatWhen(m.startedAt)}` : ''}.`;
    case 'MATCH_STATUS_PAUSED':
      return `Paused with ${name} after a concern was reported. A coordinator will be in touch.`;
    case 'MATCH_STATUS_DECLINED':
      return `${name} could not take this on. You can choose another mentor.`;
    case 'MATCH_STATUS_EXPIRED':
      return `${name} did not answer in time. You can choose another mentor.`;
    case 'MATCH_STATUS_ENDED':
      return 'This mentorship has ended.';
    default:
      return '';
  }
}

export function FindMentorPage() {
  useTitle('Find a mentor');
  const mine = useLoad(() => mentorship.mine(), []);
  const tags = useLoad(() => membership.interestTags(), []);
  const [programs, setPrograms] = useState<string[]>([]);
  const [interests, setInterests] = useState<string[]>([]);
  const [language, setLanguage] = useState('en');
  const [windows, setWindows] = useState<WeeklyWindow[]>([DEFAULT_WINDOW]);
  const [sameGender, setSameGender] = useState(false);
  const [gender, setGender] = useState('');
  const [shareContact, setShareContact] = useState<ShareContact>(NO_SHARING);
  const act = useAction();
  useMentorshipUpdates(mine.reload);
  if (mine.error) return <Alert message={mine.error} />;
  if (!mine.data) return <Loading what="your mentorship" />;
  const current = mine.data.asMentee[0];
  return (
    <section class="narrow">
      <MentorshipNav />
      <h1>Find a mentor</h1>
      {current ? (
        <>
          <p data-testid="request-status" aria-live="polite">
            {matchText(current, false)}
          </p>
          <p>
            <a href="/mentorship">Go to my mentorship</a>
          </p>
        </>
      ) : (
        <>
          <p>
            A mentor is a member further along who walks beside you for a while. Tell us what matters to you and we
            suggest up to three mentors; you choose one, and they say yes or no.
          </p>
          {mine.data.openRequestId && (
            <Proposals
              requestId={mine.data.openRequestId}
              proposals={mine.data.openProposals}
              onChosen={() => void mine.reload()}
            />
          )}
          <h2>{mine.data.openRequestId ? 'Ask again' : 'What you are looking for'}</h2>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const lang = language.trim().toLowerCase();
              if (!lang) return act.setError('Language: enter a language code, such as en.');
              const windowsError = checkWindows(windows);
              if (windowsError) return act.setError(windowsError);
              void act.run(async () => {
                const availability: Availability = { timeZone: browserTimeZone(), windows };
                await mentorship.request({
                  programs,
                  interests,
                  language: lang,
                  availability,
                  sameGender,
                  gender,
                  shareContact,
                });
                await mine.reload();
              });
            }}
          >
            <CheckList name="fm-program" legend="Where you are coming from" options={PROGRAMS} chosen={programs} onChange={setPrograms} />
            <CheckList
              name="fm-interest"
              legend="Interests"
              options={(tags.data?.tags ?? []).map((t) => [t, t])}
              chosen={interests}
              onChange={setInterests}
            />
            <div class="field">
              <label for="fm-language">Language (code, e.g. en)</label>
              <input id="fm-language" value={language} onInput={(e) => setLanguage((e.target as HTMLInputElement).value)} />
            </div>
            <WindowsEditor name="fm" windows={windows} onChange={setWindows} />
            <div class="check">
              <input
                type="checkbox"
                id="fm-same-gender"
                checked={sameGender}
                onChange={(e) => setSameGender((e.target as HTMLInputElement).checked)}
              />
              <label for="fm-same-gender">Only mentors of my own gender</label>
            </div>
            {sameGender && (
              <div class="field">
                <label for="fm-gender">Your gender, in your words</label>
                <input id="fm-gender" maxLength={60} value={gender} onInput={(e) => setGender((e.target as HTMLInputElement).value)} />
              </div>
            )}
            <ShareContactChoice name="fm" value={shareContact} onChange={setShareContact} />
            <Alert message={act.error} />
            <button type="submit" class="primary" disabled={act.busy}>
              Find mentors
            </button>
          </form>
        </>
      )}
    </section>
  );
}

function CheckIns({ match, session }: { match: Match; session: Session }) {
  const list = useLoad(() => mentorship.checkIns(match.matchId), [match.matchId]);
  const [heldOn, setHeldOn] = useState(today());
  const [note, setNote] = useState('');
  const act = useAction();
  const [saved, setSaved] = useState('');
  const id = match.matchId;
  return (
    <div class="panel">
      <h4>Check-ins</h4>
      <Alert message={list.error} />
      {list.data && list.data.checkIns.length === 0 && <p class="muted">No check-ins yet.</p>}
      {list.data && list.data.checkIns.length > 0 && (
        <ul class="checkins" data-testid="check-ins">
          {list.data.checkIns.map((c) => (
            <li key={c.checkInId}>
              <strong>{c.heldOn}</strong> — {c.authorId === session.memberId ? 'you' : match.otherDisplayName || 'them'}
              {c.note && <p class="description">{c.note}</p>}
            </li>
          ))}
        </ul>
      )}
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          setSaved('');
          if (!heldOn) return act.setError('Date: choose the day you met or talked.');
          void act.run(async () => {
            await mentorship.logCheckIn(id, heldOn, note);
            setNote('');
            setSaved('Check-in logged.');
            await list.reload();
          });
        }}
      >
        <div class="field">
          <label for={`ci-date-${id}`}>Date</label>
          <input id={`ci-date-${id}`} type="date" max={today()} value={heldOn} onInput={(e) => setHeldOn((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for={`ci-note-${id}`}>Private note (optional, only you see it)</label>
          <textarea id={`ci-note-${id}`} rows={2} maxLength={2000} value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
        </div>
        <Alert message={act.error} />
        {saved && <Status>{saved}</Status>}
        <button type="submit" disabled={act.busy}>
          Log check-in
        </button>
      </form>
    </div>
  );
}

function EndAndReport({ match, onChange }: { match: Match; onChange: () => void }) {
  const [reason, setReason] = useState<EndReason>('END_REASON_COMPLETED');
  const [category, setCategory] = useState<ConcernCategory>('CONCERN_CATEGORY_UNRESPONSIVE');
  const [block, setBlock] = useState(false);
  const act = useAction();
  const id = match.matchId;
  return (
    <details class="more">
      <summary>End or report a concern</summary>
      <Alert message={act.error} />
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void act.run(async () => {
            await mentorship.end(id, reason);
            onChange();
          });
        }}
      >
        <div class="field">
          <label for={`end-reason-${id}`}>Why it is ending (only the category is kept)</label>
          <select id={`end-reason-${id}`} value={reason} onChange={(e) => setReason((e.target as HTMLSelectElement).value as EndReason)}>
            {END_REASONS.map(([v, l]) => (
              <option value={v}>{l}</option>
            ))}
          </select>
        </div>
        <button type="submit" class="danger" disabled={act.busy}>
          End mentorship
        </button>
      </form>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void act.run(async () => {
            await mentorship.reportConcern(id, category, block);
            onChange();
          });
        }}
      >
        <div class="field">
          <label for={`concern-${id}`}>Report a concern to a coordinator</label>
          <select id={`concern-${id}`} value={category} onChange={(e) => setCategory((e.target as HTMLSelectElement).value as ConcernCategory)}>
            {CONCERNS.map(([v, l]) => (
              <option value={v}>{l}</option>
            ))}
          </select>
        </div>
        <div class="check">
          <input type="checkbox" id={`block-${id}`} checked={block} onChange={(e) => setBlock((e.target as HTMLInputElement).checked)} />
          <label for={`block-${id}`}>Never match us again</label>
        </div>
        <button type="submit" class="danger" disabled={act.busy}>
          Report and pause
        </button>
      </form>
    </details>
  );
}

function MatchCard({
  match,
  asMentor,
  session,
  onChange,
}: {
  match: Match;
  asMentor: boolean;
  session: Session;
  onChange: () => void;
}) {
  const act = useAction();
  const live = match.status === 'MATCH_STATUS_ACTIVE' || match.status === 'MATCH_STATUS_PAUSED';
  return (
    <li class="card" data-testid={asMentor ? 'as-mentor' : 'as-mentee'}>
      <h3 class="card-title">{match.otherDisplayName || (asMentor ? 'A member' : 'Your mentor')}</h3>
      <p class="meta" data-testid="match-status" aria-live="polite">
        {matchText(match, asMentor)}
      </p>
      {match.mentorIntroduction && (
        <>
          <p class="meta">In their words:</p>
          <blockquote class="description" data-testid="introduction">
            {match.mentorIntroduction}
          </blockquote>
        </>
      )}
      <Alert message={act.error} />
      {asMentor && match.status === 'MATCH_STATUS_CHOSEN' && (
        <div class="actions">
          <button
            type="button"
            class="primary"
            disabled={act.busy}
            onClick={() => act.run(async () => { await mentorship.respond(match.matchId, true); onChange(); })}
          >
            Accept
          </button>
          <button
            type="button"
            disabled={act.busy}
            onClick={() => act.run(async () => { await mentorship.respond(match.matchId, false); onChange(); })}
          >
            Decline
          </button>
        </div>
      )}
      {live && <CheckIns match={match} session={session} />}
      {(live || (!asMentor && match.status === 'MATCH_STATUS_CHOSEN')) && <EndAndReport match={match} onChange={onChange} />}
    </li>
  );
}

export function MyMentorshipPage({ session }: { session: Session }) {
  useTitle('Mentorship');
  const mine = useLoad(() => mentorship.mine(), []);
  const reload = () => void mine.reload();
  useMentorshipUpdates(mine.reload);
  return (
    <section>
      <MentorshipNav />
      <h1>My mentorship</h1>
      <Alert message={mine.error} />
      {mine.data?.namesUnavailable && <p class="muted">Names are not available right now.</p>}
      {!mine.data ? (
        !mine.error && <Loading what="your mentorship" />
      ) : (
        <>
          <h2>My mentor</h2>
          {mine.data.asMentee.length === 0 ? (
            <p>
              {mine.data.openRequestId
                ? 'You asked for a mentor. '
                : 'You have no mentor right now. '}
              <a href="/mentorship/find">{mine.data.openRequestId ? 'Choose one of the suggestions' : 'Find a mentor'}</a>.
            </p>
          ) : (
            <ul class="cards wide">
              {mine.data.asMentee.map((m) => (
                <MatchCard key={m.matchId} match={m} asMentor={false} session={session} onChange={reload} />
              ))}
            </ul>
          )}
          {(isPeerMentor(session) || mine.data.asMentor.length > 0) && (
            <>
              <h2>People I mentor</h2>
              {mine.data.asMentor.length === 0 ? (
                <p>
                  Nobody yet. <a href="/mentorship/profile">Check your mentor profile</a>.
                </p>
              ) : (
                <ul class="cards wide">
                  {mine.data.asMentor.map((m) => (
                    <MatchCard key={m.matchId} match={m} asMentor session={session} onChange={reload} />
                  ))}
                </ul>
              )}
            </>
          )}
        </>
      )}
    </section>
  );
}

export function MentorshipOverviewPage() {
  useTitle('Mentorship overview');
  const { data, error } = useLoad(() => mentorship.overview(), []);
  return (
    <section class="narrow">
      <p>
        <a href="/coordinator">← Coordinate</a>
      </p>
      <h1>Mentorship overview</h1>
      <p>Totals only: who is matched with whom, and what they talk about, stays with them.</p>
      <Alert message={error} />
      {!data ? (
        !error && <Loading what="the overview" />
      ) : (
        <dl class="facts" data-testid="overview">
          <dt>Mentors</dt>
          <dd>{data.mentors}</dd>
          <dt>Accepting mentees</dt>
          <dd>{data.acceptingMentors}</dd>
          <dt>Places they offer</dt>
          <dd>{data.places}</dd>
          <dt>Active matches</dt>
          <dd data-testid="overview-active">{data.activeMatches}</dd>
          <dt>Paused matches</dt>
          <dd>{data.pausedMatches}</dd>
          <dt>Awaiting a mentor's answer</dt>
          <dd>{data.awaitingAnswer}</dd>
          <dt>Open requests</dt>
          <dd>{data.openRequests}</dd>
          <dt>Open for over a week</dt>
          <dd>{data.openRequestsOlderThanWeek}</dd>
        </dl>
      )}
    </section>
  );
}
