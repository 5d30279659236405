// A small typed client for the edge's Connect JSON API. Every call is
// POST /<package>.<Service>/<Method> with the request as proto3 JSON; the edge prints zero
// values, so a field absent from a response means the edge did not send the message at all.
import type * as T from './types';

export interface Session {
  memberId: string;
  displayName: string;
  roles: string[];
  csrfToken: string;
  expiresAt: string;
}

/** A failed call: `code` is the Connect code (snake_case gRPC name), `status` the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken = '';

/** The signed-in session, or null when there is none (401). */
export async function loadSession(): Promise<Session | null> {
  const res = await fetch('/auth/session', { credentials: 'same-origin', cache: 'no-store' });
  if (res.status === 401) return null;
  if (!res.ok) throw await toError(res);
  const session = (await res.json()) as Session;
  csrfToken = session.csrfToken;
  return session;
}

export function isStaff(session: Session | null): boolean {
  return !!session && session.roles.some((r) => /coordinator|admin/i.test(r));
}

export async function signOut(): Promise<void> {
  const res = await fetch('/auth/sign-out', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'X-CSRF-Token': csrfToken },
  });
  if (!res.ok && res.status !== 401) throw await toError(res);
  csrfToken = '';
}

export async function requestEmailLink(email: string): Promise<string> {
  const res = await fetch('/auth/email-link', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  if (!res.ok) throw await toError(res);
  const body = (await res.json().catch(() => ({}))) as { message?: string };
  return body.message ?? 'If that address belongs to a member, a sign-in link is on its way.';
}

/** Whether the local-only dev sign-in page exists (the edge answers 404 outside local runs). */
export async function devSignInAvailable(): Promise<boolean> {
  try {
    const res = await fetch('/auth/dev', { credentials: 'same-origin', method: 'GET' });
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Called with every 401 so the app can go back to the sign-in page. */
let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(f: () => void): void {
  onUnauthenticated = f;
}

async function toError(res: Response): Promise<ApiError> {
  let code = 'unknown';
  let message = res.statusText || `HTTP ${res.status}`;
  try {
    const body = (await res.json()) as { code?: string; message?: string };
    if (body.code) code = body.code;
    if (body.message) message = body.message;
  } catch {
    // Not Connect JSON (a proxy's page, say): the status line is all there is.
  }
  return new ApiError(code, message, res.status);
}

/** One unary Connect call. */
export async function call<Req, Res>(
  service: string,
  method: string,
  request: Req,
  timeoutMs = 10000,
): Promise<Res> {
  const res = await fetch(`/${service}/${method}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      'Content-Type': 'application/json',
      'Connect-Protocol-Version': '1',
      'Connect-Timeout-Ms': String(timeoutMs),
      'X-CSRF-Token': csrfToken,
    },
    body: JSON.stringify(request),
  });
  if (!res.ok) {
    const err = await toError(res);
    if (res.status === 401) onUnauthenticated();
    throw err;
  }
  return (await res.json()) as Res;
}

/** Turns any thrown value into a sentence for a role=alert box. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    switch (e.code) {
      case 'permission_denied':
        return `Not allowed: ${e.message}`;
      case 'unavailable':
      case 'deadline_exceeded':
        return 'The service is not answering right now. Please try again in a moment.';
      default:
        return e.message;
    }
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

const EV = 'alumni.events.v1.EventsService';
const MB = 'alumni.membership.v1.MembershipService';
const VO = 'alumni.volunteering.v1.VolunteeringService';
const NO = 'alumni.notifications.v1.NotificationsService';

export const events = {
  list: (r: T.ListEventsRequest) => call<T.ListEventsRequest, T.ListEventsResponse>(EV, 'ListEvents', r),
  get: (eventId: string) => call<object, { event: T.Event }>(EV, 'GetEvent', { eventId }),
  create: (event: T.EventDetails, recurrence?: T.Recurrence) =>
    call<object, { event: T.Event; seriesId: string; eventIds: string[] }>(EV, 'CreateEvent', {
      event,
      ...(recurrence ? { recurrence } : {}),
    }),
  update: (eventId: string, event: Partial<T.EventDetails>, paths: string[]) =>
    call<object, { event: T.Event }>(EV, 'UpdateEvent', {
      eventId,
      event,
      updateMask: paths.join(','),
    }),
  cancel: (eventId: string) => call<object, { event: T.Event }>(EV, 'CancelEvent', { eventId }),
  cancelSeries: (seriesId: string) =>
    call<object, { cancelledEventIds: string[] }>(EV, 'CancelSeries', { seriesId }),
  rsvp: (eventId: string) => call<object, { rsvp: T.Rsvp }>(EV, 'Rsvp', { eventId }),
  cancelRsvp: (eventId: string) => call<object, { rsvp: T.Rsvp }>(EV, 'CancelRsvp', { eventId }),
  myRsvps: (includePast = false) =>
    call<object, { rsvps: T.MyRsvp[]; nextPageToken: string }>(EV, 'ListMyRsvps', {
      includePast,
      pageSize: 100,
    }),
  attendees: (eventId: string) =>
    call<object, T.ListAttendeesResponse>(EV, 'ListAttendees', { eventId, pageSize: 100 }),
  checkIn: (eventId: string, memberId: string, undo = false) =>
    call<object, { rsvp: T.Rsvp }>(EV, 'CheckIn', { eventId, memberId, undo }),
  exportCalendar: (scope: { eventId: string } | { myRsvps: true }) =>
    call<object, { ics: string; contentType: string; filename: string }>(EV, 'ExportCalendar', scope),
};

export const membership = {
  get: (memberId: string) => call<object, { member: T.Member }>(MB, 'GetMember', { memberId }),
  updatePrivacy: (memberId: string, privacy: T.Privacy) =>
    call<object, { privacy: T.Privacy }>(MB, 'UpdatePrivacy', { memberId, privacy }),
  updateConsent: (memberId: string, channel: string, granted: boolean) =>
    call<object, { consents: T.Consent[] }>(MB, 'UpdateConsent', { memberId, channel, granted }),
  searchDirectory: (namePrefix: string, interest: string) =>
    call<object, { entries: T.DirectoryEntry[]; nextPageToken: string }>(MB, 'SearchDirectory', {
      namePrefix,
      interest,
      pageSize: 50,
    }),
  interestTags: () => call<object, { tags: string[] }>(MB, 'ListInterestTags', {}),
  deleteMember: (memberId: string) => call<object, object>(MB, 'DeleteMember', { memberId }),
};

export const volunteering = {
  listRoles: (tag = '') =>
    call<object, { roles: T.Role[]; nextPageToken: string }>(VO, 'ListRoles', { tag, pageSize: 50 }),
  getRole: (roleId: string) => call<object, { role: T.Role }>(VO, 'GetRole', { roleId }),
  postRole: (role: T.RoleDetails) => call<object, { role: T.Role }>(VO, 'PostRole', { role }),
  closeRole: (roleId: string) => call<object, { role: T.Role }>(VO, 'CloseRole', { roleId }),
  addShift: (s: { roleId: string; startTime: string; endTime: string; timeZone: string; slots: number }) =>
    call<object, { shift: T.Shift }>(VO, 'AddShift', s),
  cancelShift: (shiftId: string) => call<object, { shift: T.Shift }>(VO, 'CancelShift', { shiftId }),
  signUp: (shiftId: string) => call<object, { signup: T.Signup }>(VO, 'SignUp', { shiftId }),
  withdraw: (shiftId: string) => call<object, { signup: T.Signup }>(VO, 'Withdraw', { shiftId }),
  mySignups: () =>
    call<object, { signups: T.MySignup[]; nextPageToken: string }>(VO, 'ListMySignups', {
      includePast: true,
      pageSize: 100,
    }),
  volunteers: (shiftId: string) =>
    call<object, { volunteers: T.Volunteer[]; namesUnavailable: boolean }>(VO, 'ListVolunteers', {
      shiftId,
      pageSize: 100,
    }),
  approveSignup: (shiftId: string, memberId: string) =>
    call<object, { signup: T.Signup }>(VO, 'ApproveSignup', { shiftId, memberId }),
  declineSignup: (shiftId: string, memberId: string) =>
    call<object, { signup: T.Signup }>(VO, 'DeclineSignup', { shiftId, memberId }),
  logHours: (shiftId: string, minutes: number) =>
    call<object, { entry: T.HoursEntry }>(VO, 'LogHours', { shiftId, minutes }),
  listHours: (roleId: string) =>
    call<object, { entries: T.HoursEntry[] }>(VO, 'ListHours', {
      roleId,
      status: 'HOURS_STATUS_PENDING',
      pageSize: 100,
    }),
  approveHours: (shiftId: string, memberId: string) =>
    call<object, { entry: T.HoursEntry }>(VO, 'ApproveHours', { shiftId, memberId }),
  rejectHours: (shiftId: string, memberId: string) =>
    call<object, { entry: T.HoursEntry }>(VO, 'RejectHours', { shiftId, memberId }),
  summary: () =>
    call<object, { approvedMinutes: number; shifts: number; roles: T.RoleHours[] }>(
      VO,
      'GetVolunteerSummary',
      {},
    ),
};

export const notifications = {
  preferences: () =>
    call<object, { preferences: T.Preferences }>(NO, 'GetPreferences', {}),
  updatePreferences: (preferences: Partial<T.Preferences>, paths: string[]) =>
    call<object, { preferences: T.Preferences }>(NO, 'UpdatePreferences', {
      preferences,
      updateMask: paths.join(','),
    }),
  inbox: () => call<object, { items: T.InboxItem[]; nextPageToken: string }>(NO, 'ListInbox', { pageSize: 50 }),
  markRead: (itemIds: string[]) =>
    call<object, { unreadCount: number }>(NO, 'MarkRead', { itemIds }),
  unreadCount: () => call<object, { unreadCount: number }>(NO, 'UnreadCount', {}),
};

const ME = 'alumni.volunteering.v1.MentorshipService';

export const mentorship = {
  profile: () => call<object, { profile: T.MentorProfile }>(ME, 'GetMentorProfile', {}),
  saveProfile: (profile: T.MentorProfile) =>
    call<object, { profile: T.MentorProfile }>(ME, 'UpsertMentorProfile', { profile }),
  request: (r: {
    programs: string[];
    interests: string[];
    language: string;
    availability: T.Availability;
    sameGender: boolean;
    gender: string;
    shareContact: T.ShareContact;
  }) => call<object, { requestId: string; proposals: T.Proposal[] }>(ME, 'RequestMentor', r),
  choose: (requestId: string, mentorId: string) =>
    call<object, { match: T.Match }>(ME, 'ChooseMentor', { requestId, mentorId }),
  respond: (matchId: string, accept: boolean) =>
    call<object, { match: T.Match }>(ME, 'RespondToRequest', { matchId, accept }),
  mine: () => call<object, T.MyMentorship>(ME, 'GetMyMentorship', {}),
  end: (matchId: string, reason: T.EndReason) =>
    call<object, { match: T.Match }>(ME, 'EndMentorship', { matchId, reason }),
  logCheckIn: (matchId: string, heldOn: string, note: string) =>
    call<object, { checkIn: T.MentorCheckIn }>(ME, 'LogCheckIn', { matchId, heldOn, note }),
  checkIns: (matchId: string) =>
    call<object, { checkIns: T.MentorCheckIn[] }>(ME, 'ListCheckIns', { matchId }),
  reportConcern: (matchId: string, category: T.ConcernCategory, block: boolean) =>
    call<object, { match: T.Match }>(ME, 'ReportConcern', { matchId, category, block }),
  overview: () => call<object, T.MentorshipOverview>(ME, 'GetMentorshipOverview', {}),
};

/** Saves text as a file through a temporary object URL (no data: URL, no server round trip). */
export function download(filename: string, contentType: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: contentType || 'text/calendar' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename || 'homecoming.ics';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
