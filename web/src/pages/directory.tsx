import { useState } from 'preact/hooks';
import { membership } from '../api';
import { Alert, Loading, useLoad, useTitle } from '../ui';

export function DirectoryPage() {
  useTitle('Directory');
  const [name, setName] = useState('');
  const [query, setQuery] = useState('');
  const { data, error, loading } = useLoad(() => membership.searchDirectory(query, ''), [query]);
  return (
    <section>
      <h1>Directory</h1>
      <p>Members who chose to be listed, showing only what each chose to share.</p>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(name.trim());
        }}
      >
        <div class="field">
          <label for="dir-name">Name starts with</label>
          <input id="dir-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </div>
        <button type="submit">Search</button>
      </form>
      <Alert message={error} />
      {loading && !data ? (
        <Loading what="the directory" />
      ) : !data || data.entries.length === 0 ? (
        <p>No one listed matches.</p>
      ) : (
        <ul class="cards">
          {data.entries.map((m) => (
            <li class="card" key={m.memberId}>
              <p class="card-title">{m.firstName || m.lastName ? `${m.firstName} ${m.lastName}`.trim() : m.displayName}</p>
              {m.interests.length > 0 && <p class="meta">Interests: {m.interests.join(', ')}</p>}
              {m.timeZone && <p class="meta">{m.timeZone}</p>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
