import { useEffect } from 'preact/hooks';
import { notifications } from '../api';
import { onInboxItem, onInboxResync, setUnread } from '../inbox-stream';
import { isMentorshipItem, type InboxItem } from '../types';
import { Alert, Loading, formatWhen, useAction, useLoad, useTitle } from '../ui';

function itemLink(i: InboxItem): string | null {
  if (i.eventId) return `/events/${i.eventId}`;
  if (i.roleId) return `/volunteer/roles/${i.roleId}`;
  // Coordinators' notice names no match: their overview is where it leads.
  if (i.kind === 'INBOX_ITEM_KIND_MENTORSHIP_ATTENTION') return '/coordinator/mentorship';
  if (isMentorshipItem(i)) return '/mentorship';
  return null;
}

export function InboxPage() {
  useTitle('Inbox');
  const { data, error, loading, reload, setData } = useLoad(() => notifications.inbox(), []);
  const act = useAction();
  // New items arrive live on the stream; put them on top without asking again. A stream's start
  // reads the list again: an item that came while there was no stream is never sent.
  useEffect(() => {
    const offItem = onInboxItem((item) =>
      setData((d) => (d ? { ...d, items: [item, ...d.items.filter((x) => x.itemId !== item.itemId)] } : d)),
    );
    const offResync = onInboxResync(() => void reload());
    return () => {
      offItem();
      offResync();
    };
  }, [setData, reload]);
  const unreadIds = (data?.items ?? []).filter((i) => !i.readAt).map((i) => i.itemId);
  return (
    <section>
      <h1>Inbox</h1>
      <Alert message={error} />
      <Alert message={act.error} />
      {unreadIds.length > 0 && (
        <button
          type="button"
          disabled={act.busy}
          onClick={() =>
            act.run(async () => {
              const r = await notifications.markRead(unreadIds.slice(0, 100));
              setUnread(r.unreadCount);
              const now = new Date().toISOString();
              setData((d) => (d ? { ...d, items: d.items.map((i) => (i.readAt ? i : { ...i, readAt: now })) } : d));
            })
          }
        >
          Mark all read
        </button>
      )}
      {loading && !data ? (
        <Loading what="your inbox" />
      ) : !data || data.items.length === 0 ? (
        <p>Nothing here yet.</p>
      ) : (
        <ul class="cards" aria-label="Messages" data-testid="inbox-list">
          {data.items.map((i) => {
            const href = itemLink(i);
            return (
              <li class={`card ${i.readAt ? '' : 'unread'}`} key={i.itemId}>
                <p class="card-title">
                  {!i.readAt && <span class="visually-hidden">Unread: </span>}
                  {href ? <a href={href}>{i.text}</a> : i.text}
                </p>
                <p class="meta">{formatWhen(i.createdAt)}</p>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
