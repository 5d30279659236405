// Settings: notification preferences, privacy, consent per channel, deleting the account.
import { useState } from 'preact/hooks';
import { membership, notifications, signOut, type Session } from '../api';
import { stopInboxStream } from '../inbox-stream';
import type { ChannelChoices, ContactChannel, DirectoryField, Preferences, Privacy } from '../types';
import { Alert, Loading, Status, useAction, useLoad, useTitle } from '../ui';

const CATEGORIES: [keyof Preferences, string][] = [
  ['events', 'Events'],
  ['reminders', 'Reminders'],
  ['volunteering', 'Volunteering'],
  ['mentorship', 'Mentorship'],
  ['milestones', 'Milestones'],
  ['communityNews', 'Community news'],
];
const CHANNELS: [keyof ChannelChoices, string][] = [
  ['email', 'Email'],
  ['sms', 'Text message'],
  ['inApp', 'In the app'],
  ['digest', 'Daily digest'],
];

function minutesToTime(m: number): string {
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}
function timeToMinutes(t: string): number {
  const [h, m] = t.split(':').map(Number);
  return (h || 0) * 60 + (m || 0);
}

function PreferencesForm() {
  const { data, error, setData } = useLoad(() => notifications.preferences(), []);
  const act = useAction();
  const [saved, setSaved] = useState('');
  if (error) return <Alert message={error} />;
  if (!data) return <Loading what="your preferences" />;
  const p = data.preferences;
  const update = (next: Preferences) => setData({ preferences: next });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setSaved('');
        void act.run(async () => {
          const r = await notifications.updatePreferences(p, [
            'events',
            'reminders',
            'volunteering',
            'mentorship',
            'milestones',
            'communityNews',
            'quietHours',
            'roleSuggestions',
          ]);
          setData(r);
          setSaved('Preferences saved.');
        });
      }}
    >
      <div class="table-scroll">
        <table class="prefs">
          <caption>How each kind of message reaches you</caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              {CHANNELS.map(([, label]) => (
                <th scope="col">{label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {CATEGORIES.map(([cat, catLabel]) => {
              const choices = p[cat] as ChannelChoices;
              return (
                <tr>
                  <th scope="row">{catLabel}</th>
                  {CHANNELS.map(([ch, chLabel]) => (
                    <td>
                      <input
                        type="checkbox"
                        id={`pref-${cat}-${ch}`}
                        aria-label={`${catLabel}: ${chLabel}`}
                        checked={!!choices[ch]}
                        onChange={(e) =>
                          update({ ...p, [cat]: { ...choices, [ch]: (e.target as HTMLInputElement).checked } })
                        }
                      />
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <fieldset>
        <legend>Quiet hours (no texts or pushes; same start and end means none)</legend>
        <div class="row">
          <div class="field">
            <label for="quiet-start">From</label>
            <input
              id="quiet-start"
              type="time"
              value={minutesToTime(p.quietHours?.startMinute ?? 0)}
              onChange={(e) =>
                update({ ...p, quietHours: { ...p.quietHours, startMinute: timeToMinutes((e.target as HTMLInputElement).value) } })
              }
            />
          </div>
          <div class="field">
            <label for="quiet-end">Until</label>
            <input
              id="quiet-end"
              type="time"
              value={minutesToTime(p.quietHours?.endMinute ?? 0)}
              onChange={(e) =>
                update({ ...p, quietHours: { ...p.quietHours, endMinute: timeToMinutes((e.target as HTMLInputElement).value) } })
              }
            />
          </div>
        </div>
      </fieldset>
      <div class="check">
        <input
          id="role-suggestions"
          type="checkbox"
          checked={p.roleSuggestions}
          onChange={(e) => update({ ...p, roleSuggestions: (e.target as HTMLInputElement).checked })}
        />
        <label for="role-suggestions">Suggest volunteer roles that match my interests</label>
      </div>
      <Alert message={act.error} />
      {saved && <Status>{saved}</Status>}
      <button type="submit" class="primary" disabled={act.busy}>
        Save preferences
      </button>
    </form>
  );
}

const FIELDS: [DirectoryField, string][] = [
  ['DIRECTORY_FIELD_FULL_NAME', 'My full name'],
  ['DIRECTORY_FIELD_INTERESTS', 'My interests'],
  ['DIRECTORY_FIELD_PROGRAM', 'My program'],
  ['DIRECTORY_FIELD_TIME_ZONE', 'My time zone'],
];

function PrivacyForm({ memberId, initial }: { memberId: string; initial: Privacy }) {
  const [p, setP] = useState<Privacy>(initial);
  const act = useAction();
  const [saved, setSaved] = useState('');
  const listed = p.directoryVisibility === 'DIRECTORY_VISIBILITY_ALUMNI';
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setSaved('');
        void act.run(async () => {
          const r = await membership.updatePrivacy(memberId, p);
          setP(r.privacy);
          setSaved('Privacy choices saved.');
        });
      }}
    >
      <div class="check">
        <input
          id="privacy-listed"
          type="checkbox"
          checked={listed}
          onChange={(e) =>
            setP({
              ...p,
              directoryVisibility: (e.target as HTMLInputElement).checked ? 'DIRECTORY_VISIBILITY_ALUMNI' : 'DIRECTORY_VISIBILITY_HIDDEN',
            })
          }
        />
        <label for="privacy-listed">List me in the alumni directory</label>
      </div>
      <fieldset disabled={!listed}>
        <legend>Besides my display name, the directory shows</legend>
        {FIELDS.map(([f, label]) => (
          <div class="check">
            <input
              id={`privacy-${f}`}
              type="checkbox"
              checked={p.visibleFields.includes(f)}
              onChange={(e) =>
                setP({
                  ...p,
                  visibleFields: (e.target as HTMLInputElement).checked
                    ? [...p.visibleFields, f]
                    : p.visibleFields.filter((x) => x !== f),
                })
              }
            />
            <label for={`privacy-${f}`}>{label}</label>
          </div>
        ))}
      </fieldset>
      <div class="check">
        <input
          id="privacy-milestones"
          type="checkbox"
          checked={p.celebrateMilestones}
          onChange={(e) => setP({ ...p, celebrateMilestones: (e.target as HTMLInputElement).checked })}
        />
        <label for="privacy-milestones">Celebrate my milestones with me</label>
      </div>
      <div class="check">
        <input
          id="privacy-hide-name"
          type="checkbox"
          checked={p.hideNameInLists}
          onChange={(e) => setP({ ...p, hideNameInLists: (e.target as HTMLInputElement).checked })}
        />
        <label for="privacy-hide-name">Hide my name in attendee and volunteer lists</label>
      </div>
      <Alert message={act.error} />
      {saved && <Status>{saved}</Status>}
      <button type="submit" class="primary" disabled={act.busy}>
        Save privacy choices
      </button>
    </form>
  );
}

const CONSENT_CHANNELS: [ContactChannel, string][] = [
  ['CONTACT_CHANNEL_EMAIL', 'Email'],
  ['CONTACT_CHANNEL_SMS', 'Text message'],
  ['CONTACT_CHANNEL_PUSH', 'Push notifications'],
];

function ConsentForm({ memberId, initial }: { memberId: string; initial: { channel: ContactChannel; granted: boolean }[] }) {
  const [consents, setConsents] = useState(initial);
  const act = useAction();
  const granted = (c: ContactChannel) => consents.some((x) => x.channel === c && x.granted);
  return (
    <div>
      <p>Homecoming contacts you on a channel only while you allow it. Changes apply at once.</p>
      {CONSENT_CHANNELS.map(([c, label]) => (
        <div class="check">
          <input
            id={`consent-${c}`}
            type="checkbox"
            checked={granted(c)}
            disabled={act.busy}
            onChange={(e) => {
              const on = (e.target as HTMLInputElement).checked;
              void act.run(async () => {
                const r = await membership.updateConsent(memberId, c, on);
                setConsents(r.consents);
              });
            }}
          />
          <label for={`consent-${c}`}>{label}</label>
        </div>
      ))}
      <Alert message={act.error} />
    </div>
  );
}

function DeleteAccount({ memberId }: { memberId: string }) {
  const [confirm, setConfirm] = useState('');
  const act = useAction();
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (confirm.trim().toLowerCase() !== 'delete') {
          act.setError('Confirmation: type the word delete to confirm.');
          return;
        }
        void act.run(async () => {
          await membership.deleteMember(memberId);
          stopInboxStream();
          await signOut().catch(() => undefined);
          location.assign('/sign-in');
        });
      }}
    >
      <p>
        This erases your name, contact details and everything you told us. Your RSVPs and hours stay as anonymous
        counts. It cannot be undone.
      </p>
      <div class="field">
        <label for="delete-confirm">Type “delete” to confirm</label>
        <input id="delete-confirm" autocomplete="off" value={confirm} onInput={(e) => setConfirm((e.target as HTMLInputElement).value)} />
      </div>
      <Alert message={act.error} />
      <button type="submit" class="danger" disabled={act.busy}>
        Delete my account
      </button>
    </form>
  );
}

export function SettingsPage({ session }: { session: Session }) {
  useTitle('Settings');
  const me = useLoad(() => membership.get(session.memberId), [session.memberId]);
  const defaultPrivacy: Privacy = {
    directoryVisibility: 'DIRECTORY_VISIBILITY_HIDDEN',
    visibleFields: [],
    celebrateMilestones: false,
    hideNameInLists: false,
  };
  return (
    <section>
      <h1>Settings</h1>
      <section aria-labelledby="h-prefs" class="panel">
        <h2 id="h-prefs">Notifications</h2>
        <PreferencesForm />
      </section>
      <section aria-labelledby="h-privacy" class="panel">
        <h2 id="h-privacy">Privacy</h2>
        <Alert message={me.error} />
        {me.data ? (
          <PrivacyForm memberId={session.memberId} initial={me.data.member.privacy ?? defaultPrivacy} />
        ) : (
          !me.error && <Loading what="your privacy choices" />
        )}
      </section>
      <section aria-labelledby="h-consent" class="panel">
        <h2 id="h-consent">Contact consent</h2>
        {me.data && <ConsentForm memberId={session.memberId} initial={me.data.member.consents ?? []} />}
      </section>
      <section aria-labelledby="h-delete" class="panel">
        <h2 id="h-delete">Delete my account</h2>
        <DeleteAccount memberId={session.memberId} />
      </section>
    </section>
  );
}
