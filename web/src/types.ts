// Proto3 JSON shapes of the messages the app uses (lowerCamelCase names, enums as their
// names, Timestamps as RFC 3339 strings, int64 as strings). Only the fields the app reads.

export type EventKind =
  | 'EVENT_KIND_UNSPECIFIED'
  | 'EVENT_KIND_ALUMNI_MEETING'
  | 'EVENT_KIND_SOBER_SOCIAL'
  | 'EVENT_KIND_PEER_GROUP'
  | 'EVENT_KIND_WORKSHOP'
  | 'EVENT_KIND_SERVICE';
export type Visibility = 'VISIBILITY_PUBLIC' | 'VISIBILITY_MEMBERS' | 'VISIBILITY_UNLISTED';
export type RsvpStatus =
  | 'RSVP_STATUS_UNSPECIFIED'
  | 'RSVP_STATUS_GOING'
  | 'RSVP_STATUS_WAITLISTED'
  | 'RSVP_STATUS_CANCELLED';

export interface EventDetails {
  title: string;
  description: string;
  kind: EventKind;
  startTime: string;
  endTime: string;
  timeZone: string;
  venue?: string;
  onlineUrl?: string;
  capacity: number;
  waitlistEnabled: boolean;
  visibility: Visibility;
}

export interface Event extends EventDetails {
  eventId: string;
  status: 'EVENT_STATUS_SCHEDULED' | 'EVENT_STATUS_CANCELLED' | 'EVENT_STATUS_UNSPECIFIED';
  goingCount: number;
  waitlistCount: number;
  seatsLeft: number;
  seriesId: string;
  sequence: number;
}

export interface Recurrence {
  frequency: 'FREQUENCY_WEEKLY' | 'FREQUENCY_MONTHLY';
  count: number;
}

export interface Rsvp {
  eventId: string;
  memberId: string;
  status: RsvpStatus;
  waitlistPosition: number;
  checkedIn: boolean;
  checkedInAt?: string;
}

export interface MyRsvp {
  rsvp: Rsvp;
  event: Event;
}

export interface ListEventsRequest {
  kinds?: EventKind[];
  startFrom?: string;
  startBefore?: string;
  pageSize?: number;
  pageToken?: string;
}
export interface ListEventsResponse {
  events: Event[];
  nextPageToken: string;
}

export interface ListAttendeesResponse {
  attendees: Rsvp[];
  nextPageToken: string;
  displayNames: Record<string, string>;
  namesUnavailable: boolean;
}

export type DirectoryField =
  | 'DIRECTORY_FIELD_FULL_NAME'
  | 'DIRECTORY_FIELD_INTERESTS'
  | 'DIRECTORY_FIELD_PROGRAM'
  | 'DIRECTORY_FIELD_TIME_ZONE';

export interface Privacy {
  directoryVisibility: 'DIRECTORY_VISIBILITY_UNSPECIFIED' | 'DIRECTORY_VISIBILITY_HIDDEN' | 'DIRECTORY_VISIBILITY_ALUMNI';
  visibleFields: DirectoryField[];
  celebrateMilestones: boolean;
  hideNameInLists: boolean;
}

export type ContactChannel = 'CONTACT_CHANNEL_EMAIL' | 'CONTACT_CHANNEL_SMS' | 'CONTACT_CHANNEL_PUSH';

export interface Consent {
  channel: ContactChannel;
  granted: boolean;
  changedAt?: string;
}

export interface Member {
  memberId: string;
  displayName: string;
  timeZone: string;
  roles: string[];
  privacy?: Privacy;
  consents: Consent[];
}

export interface DirectoryEntry {
  memberId: string;
  displayName: string;
  firstName: string;
  lastName: string;
  interests: string[];
  program: string;
  timeZone: string;
}

export interface RoleDetails {
  title: string;
  description: string;
  tags: string[];
  venue: string;
  onlineUrl: string;
  eventId: string;
  minSoberDays: number;
  maxShiftsPerPerson: number;
  requiresApproval: boolean;
}

export interface Shift {
  shiftId: string;
  roleId: string;
  startTime: string;
  endTime: string;
  timeZone: string;
  slots: number;
  confirmedCount: number;
  waitlistCount: number;
  slotsLeft: number;
  pendingCount: number;
  status: 'SHIFT_STATUS_SCHEDULED' | 'SHIFT_STATUS_CANCELLED' | 'SHIFT_STATUS_UNSPECIFIED';
}

export interface Role {
  roleId: string;
  details: RoleDetails;
  status: 'ROLE_STATUS_OPEN' | 'ROLE_STATUS_CLOSED' | 'ROLE_STATUS_UNSPECIFIED';
  shifts: Shift[];
}

export type SignupStatus =
  | 'SIGNUP_STATUS_CONFIRMED'
  | 'SIGNUP_STATUS_WAITLISTED'
  | 'SIGNUP_STATUS_WITHDRAWN'
  | 'SIGNUP_STATUS_PENDING_APPROVAL'
  | 'SIGNUP_STATUS_DECLINED'
  | 'SIGNUP_STATUS_SHIFT_CANCELLED'
  | 'SIGNUP_STATUS_UNSPECIFIED';

export interface Signup {
  shiftId: string;
  memberId: string;
  status: SignupStatus;
  waitlistPosition: number;
}

export interface MySignup {
  signup: Signup;
  shift: Shift;
  roleTitle: string;
}

export interface Volunteer {
  signup: Signup;
  displayName: string;
  nameHidden: boolean;
}

export interface HoursEntry {
  shiftId: string;
  roleId: string;
  memberId: string;
  minutes: number;
  status: 'HOURS_STATUS_PENDING' | 'HOURS_STATUS_APPROVED' | 'HOURS_STATUS_REJECTED' | 'HOURS_STATUS_UNSPECIFIED';
}

export interface RoleHours {
  roleId: string;
  roleTitle: string;
  approvedMinutes: number;
  shifts: number;
}

export interface ChannelChoices {
  email: boolean;
  sms: boolean;
  inApp: boolean;
  digest: boolean;
}

export interface Preferences {
  timeZone: string;
  events: ChannelChoices;
  reminders: ChannelChoices;
  volunteering: ChannelChoices;
  mentorship: ChannelChoices;
  milestones: ChannelChoices;
  communityNews: ChannelChoices;
  quietHours: { startMinute: number; endMinute: number };
  roleSuggestions: boolean;
}

/** Inbox kinds about mentorship: the client shows them with GetMyMentorship (no subject ids). */
export const MENTORSHIP_INBOX_KINDS = [
  'INBOX_ITEM_KIND_MENTOR_CHOSEN',
  'INBOX_ITEM_KIND_MENTOR_CHOICE_LAPSED',
  'INBOX_ITEM_KIND_MENTORSHIP_INTRODUCTION',
  'INBOX_ITEM_KIND_MENTOR_CHECK_IN_DUE',
  'INBOX_ITEM_KIND_MENTORSHIP_ENDED',
  'INBOX_ITEM_KIND_MENTORSHIP_ATTENTION',
  'INBOX_ITEM_KIND_MENTORSHIP_END_CONFIRMED',
] as const;

/** Whether an inbox item is about one's mentorship (by kind, or its category for kinds newer than this app). */
export function isMentorshipItem(i: { kind: string; category: string }): boolean {
  return (MENTORSHIP_INBOX_KINDS as readonly string[]).includes(i.kind) || i.category === 'CATEGORY_MENTORSHIP';
}

export interface InboxItem {
  itemId: string;
  category: string;
  kind: string;
  eventId?: string;
  shiftId?: string;
  roleId: string;
  text: string;
  createdAt: string;
  readAt?: string;
}

export interface StreamInboxResponse {
  item?: InboxItem;
  unreadCount: number;
}

// Mentorship (alumni.volunteering.v1.MentorshipService).
export interface WeeklyWindow {
  /** 0 = Monday .. 6 = Sunday, wall-clock minutes in the owner's zone. */
  day: number;
  startMinute: number;
  endMinute: number;
}
export interface Availability {
  timeZone: string;
  windows: WeeklyWindow[];
}
/** Which of one's own addresses the other party of a match may see (none unless chosen). */
export interface ShareContact {
  email: boolean;
  phone: boolean;
}
export interface MentorProfile {
  memberId?: string;
  capacity: number;
  accepting: boolean;
  programs: string[];
  interests: string[];
  languages: string[];
  availability: Availability;
  introduction: string;
  gender: string;
  shareContact?: ShareContact;
  activeMentees?: number;
  updatedAt?: string;
}
export interface ScoreBreakdown {
  sharedPrograms: number;
  sharedInterests: number;
  overlapMinutes: number;
  focusPoints: number;
  interestPoints: number;
  overlapPoints: number;
  loadPoints: number;
  total: number;
}
export interface Proposal {
  rank: number;
  mentorId: string;
  displayName: string;
  score: ScoreBreakdown;
}
export type MatchStatus =
  | 'MATCH_STATUS_UNSPECIFIED'
  | 'MATCH_STATUS_CHOSEN'
  | 'MATCH_STATUS_ACTIVE'
  | 'MATCH_STATUS_DECLINED'
  | 'MATCH_STATUS_EXPIRED'
  | 'MATCH_STATUS_ENDED'
  | 'MATCH_STATUS_PAUSED';
export type EndReason = 'END_REASON_COMPLETED' | 'END_REASON_NOT_A_FIT' | 'END_REASON_NO_TIME' | 'END_REASON_OTHER';
export type ConcernCategory =
  | 'CONCERN_CATEGORY_UNRESPONSIVE'
  | 'CONCERN_CATEGORY_BOUNDARIES'
  | 'CONCERN_CATEGORY_SAFETY'
  | 'CONCERN_CATEGORY_OTHER';
export interface Match {
  matchId: string;
  requestId: string;
  mentorId: string;
  menteeId: string;
  status: MatchStatus;
  respondBy?: string;
  startedAt?: string;
  otherDisplayName: string;
  mentorIntroduction: string;
}
export interface MyMentorship {
  asMentee: Match[];
  asMentor: Match[];
  openRequestId: string;
  openProposals: Proposal[];
  namesUnavailable: boolean;
}
export interface MentorCheckIn {
  checkInId: string;
  matchId: string;
  authorId: string;
  heldOn: string;
  note: string;
  createdAt?: string;
}
export interface MentorshipOverview {
  mentors: number;
  acceptingMentors: number;
  places: number;
  activeMatches: number;
  pausedMatches: number;
  awaitingAnswer: number;
  openRequests: number;
  openRequestsOlderThanWeek: number;
}
