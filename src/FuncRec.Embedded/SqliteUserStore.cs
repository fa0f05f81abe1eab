using System.Globalization;
using FuncRec.Application.Contracts;
using FuncRec.Application.Ports;
using Microsoft.Data.Sqlite;

namespace FuncRec.Embedded;

/// <summary>
/// Users in SQLite; the ETag is a per-row version counter, checked in the UPDATE's WHERE clause. Documents this
/// store read or wrote are kept parsed, by version: one process serves a data directory, so what it wrote last is
/// what is stored, and a read needs neither the database nor a parse — which is what a recommendation would
/// otherwise spend a third of its time on. When several processes share the directory
/// (<see cref="EmbeddedOptions.ExclusiveDataDirectory"/> false), a read first checks the stored version and parses
/// only when it changed. Writes are exact either way: a stale version fails its compare-and-swap, which drops the
/// cached copy. Cached documents are shared:
/// callers treat them as immutable (they copy before changing, as the services do). With each document the cache
/// keeps its encoding, from which the user's next version copies what it shares (see
/// <see cref="UserDocumentBinary.Encode(UserDocument, EncodedUserDocument?)"/>): ~5–8 KB a user more (the bytes
/// and where each window's elements start), up to a few hundred MB at the cache's bound.
/// <para>
/// When the database writes behind (<see cref="SqliteDatabase.WriteBehind"/>), the versions are compared in memory
/// and the documents a batch writes (<see cref="TryWriteManyAsync"/>) are stored with the next flush; the newest
/// version of each user waits in <c>_unflushed</c> until then, and reads see it. <see cref="TryWriteAsync"/> and
/// <see cref="DeleteAsync"/> are stored before they return.
/// </para>
/// </summary>
public sealed class SqliteUserStore(SqliteDatabase database, Microsoft.Extensions.Options.IOptions<EmbeddedOptions>? options = null) : IUserStore
{
    private readonly bool _exclusive = options?.Value.ExclusiveDataDirectory ?? true;

    /// <summary>Writing behind needs the cache to be the newest state, which only a process alone in its directory has.</summary>
    private SqliteWriteBehind? Behind => _exclusive ? database.WriteBehind : null;

    // Write-behind only: each user's newest version not yet flushed, and the lock under which versions are compared
    // and advanced.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Version, UserDocument Document)> _unflushed = new(StringComparer.Ordinal);
    private readonly Lock _versions = new();

    /// <summary>
    /// How long writes of a user whose document was dropped are refused (write-behind only): each new version of them
    /// would hold back every completion for a few flushes before it is dropped in turn. Refused, the batches that
    /// touch the user fail, are retried, and end in the poison queue with the reason, while all others flow.
    /// </summary>
    public TimeSpan QuarantineAfterDrop { get; set; } = TimeSpan.FromMinutes(1);

    // Write-behind only: whether any write was ever dropped (the maps below are then worth a look).
    private volatile bool _anyDropped;

    // Write-behind only: users whose document was dropped, when (Environment.TickCount64), and why.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long DroppedAt, string Reason)> _quarantined = new(StringComparer.Ordinal);

    // Write-behind only: the highest version of each user whose write was dropped (see Dropped); rare, and never shrinks.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _droppedVersions = new(StringComparer.Ordinal);

    // Bumped whenever the cache is emptied or a user deleted: a version read from the file before it may be older than
    // one flushed meanwhile, so it is not trusted (write-behind only).
    private long _generation;

    private const int MaxCachedDocuments = 50_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Version, UserDocument Document, EncodedUserDocument? Encoded)> _parsed = new(StringComparer.Ordinal);

    // ConcurrentDictionary.Count takes every bucket lock; an approximate count of new keys bounds the cache cheaply
    // (removals are not subtracted, so it errs towards clearing a little early).
    private int _remembered;

    public Task<Versioned<UserDocument>?> GetAsync(string id, CancellationToken cancellationToken)
    {
        if (_unflushed.TryGetValue(id, out var newest))
        {
            return Found(newest.Document, newest.Version);
        }

        var generation = Volatile.Read(ref _generation);
        if (_parsed.TryGetValue(id, out var cached) && _exclusive)
        {
            return Found(cached.Document, cached.Version);
        }

        using var connection = database.Open();
        if (cached.Document is not null)
        {
            // Shared directory: the copy is good only if nobody wrote since.
            if (StoredVersion(connection, id) is { } current && current == cached.Version)
            {
                return Found(cached.Document, current);
            }
        }

        var command = connection.Prepared("SELECT doc, version FROM users WHERE id = $id");
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            _parsed.TryRemove(id, out _);
            return Task.FromResult<Versioned<UserDocument>?>(null);
        }

        var (document, encoded) = ReadDocument(reader);
        var version = reader.GetInt64(1);
        if (Behind is not null)
        {
            var emptied = false;
            lock (_versions)
            {
                // A write may have been compared and deferred while this read went to the file: the newer one stands.
                if (_unflushed.TryGetValue(id, out newest))
                {
                    return Found(newest.Document, newest.Version);
                }

                if (_parsed.TryGetValue(id, out var current) && current.Version >= version)
                {
                    return Found(current.Document, current.Version);
                }

                // The cache was emptied while the file was read: a newer version may have been flushed meanwhile.
                emptied = Volatile.Read(ref _generation) != generation;
                if (!emptied)
                {
                    Remember(id, version, document, encoded);
                }
            }

            if (emptied)
            {
                return GetAsync(id, cancellationToken);
            }
        }
        else
        {
            Remember(id, version, document, encoded);
        }

        return Found(document, version);
    }

    /// <summary>The stored document: binary, or JSON text in rows written before the binary form (rewritten binary on their next write).</summary>
    private static (UserDocument Document, EncodedUserDocument? Encoded) ReadDocument(SqliteDataReader reader)
    {
        if (reader.GetFieldType(0) == typeof(byte[]))
        {
            var encoded = UserDocumentBinary.DecodeEncoded(reader.GetFieldValue<byte[]>(0));
            return (encoded.Document, encoded);
        }

        return (EmbeddedJson.Read<UserDocument>(reader.GetString(0)), null);
    }

    private void Remember(string id, long version, UserDocument document, EncodedUserDocument? encoded)
    {
        if (!_parsed.ContainsKey(id) && Interlocked.Increment(ref _remembered) >= MaxCachedDocuments)
        {
            // Crude but bounded: drop everything and let the working set refill.
            Interlocked.Exchange(ref _remembered, 0);
            Interlocked.Increment(ref _generation);
            _parsed.Clear();
        }

        _parsed[id] = (version, document, encoded);
    }

    public async Task<string?> TryWriteAsync(UserDocument document, string? expectedETag, CancellationToken cancellationToken)
    {
        Claim();
        if (Behind is { } behind)
        {
            if (TryAdvance(document, expectedETag, behind, awaited: true) is not { } advanced)
            {
                return null;
            }

            // Stored before the answer, as a single write (a user's profile, their forgetting) is expected to be. If
            // the flush fails, the write waits for the next one, like the batches' writes; if it was dropped for failing
            // on its own (alone or in a newer version of the user that took its place), the caller is told.
            try
            {
                await behind.FlushAsync(CancellationToken.None);
            }
            catch (Exception) when (advanced.Write.Stored)
            {
                // Another write failed; this one is stored (alone or in a newer version that took its place).
            }

            if (advanced.Write.Dropped is { } reason)
            {
                throw new InvalidOperationException($"The document of user {document.Id} could not be stored: {reason.Message}", reason);
            }

            return advanced.Version.ToString(CultureInfo.InvariantCulture);
        }

        var encoded = Encode(document);
        using var writing = await database.EnterWriteAsync();
        var connection = writing.Connection;
        return Write(connection, encoded, expectedETag);
    }

    /// <summary>All writes in one transaction: one commit instead of one per user (each write still checks its own version).</summary>
    public async Task<IReadOnlyList<string?>> TryWriteManyAsync(IReadOnlyList<(UserDocument Document, string? ExpectedETag)> writes, CancellationToken cancellationToken)
    {
        var results = new string?[writes.Count];
        if (writes.Count == 0)
        {
            return results;
        }

        Claim();

        if (Behind is { } behind)
        {
            // Compared in memory and stored with the next flush, before the completion of the message they came from.
            for (var i = 0; i < writes.Count; i++)
            {
                var document = writes[i].Document;
                if (TryAdvance(document, writes[i].ExpectedETag, behind) is { } advanced)
                {
                    results[i] = advanced.Version.ToString(CultureInfo.InvariantCulture);
                }
            }

            return results;
        }

        // Encode before taking the write turn: only the database work happens under it.
        var encoded = new EncodedUserDocument[writes.Count];
        for (var i = 0; i < writes.Count; i++)
        {
            encoded[i] = Encode(writes[i].Document);
        }

        using var writing = await database.EnterWriteAsync();
        var connection = writing.Connection;
        using var transaction = connection.BeginTransaction();
        var remembered = new List<(string Id, long Version, EncodedUserDocument Encoded)>(writes.Count);
        for (var i = 0; i < writes.Count; i++)
        {
            results[i] = Write(connection, encoded[i], writes[i].ExpectedETag, transaction, remembered);
        }

        transaction.Commit();

        // Only a committed version may be cached.
        foreach (var (id, version, written) in remembered)
        {
            Remember(id, version, written.Document, written);
        }

        return results;
    }

    /// <summary>
    /// The document's encoding, from the cached version it was derived from when there is one. Any cached version
    /// serves, stale or not: the copied bytes are those of the very objects the two versions share.
    /// </summary>
    private EncodedUserDocument Encode(UserDocument document)
    {
        var encoded = UserDocumentBinary.Encode(document, _parsed.TryGetValue(document.Id, out var cached) ? cached.Encoded : null);
        Interlocked.Add(ref _copiedBytes, encoded.CopiedBytes);
        return encoded;
    }

    private long _copiedBytes;

    /// <summary>Bytes of written documents copied from their previous versions' encodings since the store was made (diagnostics).</summary>
    public long CopiedBytes => Interlocked.Read(ref _copiedBytes);

    private string? Write(PooledConnection connection, EncodedUserDocument encoded, string? expectedETag, SqliteTransaction? transaction = null, List<(string, long, EncodedUserDocument)>? deferred = null)
    {
        var document = encoded.Document;
        long version;
        if (expectedETag is null)
        {
            var insert = connection.Prepared("INSERT INTO users (id, doc, version) VALUES ($id, $doc, 1) ON CONFLICT(id) DO NOTHING");
            insert.Transaction = transaction;
            insert.Parameters.AddWithValue("$id", document.Id);
            insert.Parameters.AddWithValue("$doc", encoded.Bytes);
            if (insert.ExecuteNonQuery() != 1)
            {
                _parsed.TryRemove(document.Id, out _);
                return null;
            }

            version = 1;
        }
        else
        {
            if (!long.TryParse(expectedETag, NumberStyles.None, CultureInfo.InvariantCulture, out var expected))
            {
                _parsed.TryRemove(document.Id, out _);
                return null;
            }

            var update = connection.Prepared("UPDATE users SET doc = $doc, version = version + 1 WHERE id = $id AND version = $expected");
            update.Transaction = transaction;
            update.Parameters.AddWithValue("$id", document.Id);
            update.Parameters.AddWithValue("$doc", encoded.Bytes);
            update.Parameters.AddWithValue("$expected", expected);
            if (update.ExecuteNonQuery() != 1)
            {
                _parsed.TryRemove(document.Id, out _);
                return null;
            }

            version = expected + 1;
        }

        if (deferred is null)
        {
            Remember(document.Id, version, document, encoded);
        }
        else
        {
            deferred.Add((document.Id, version, encoded));
        }

        return version.ToString(CultureInfo.InvariantCulture);
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        Claim();
        if (Behind is { } behind)
        {
            // No flush may write a version of the user after the row is gone; the row goes first, and then, under the
            // lock that versions advance under, whatever memory holds and waits (a version advanced in between from
            // what memory held is dropped with it: the delete came after).
            using var holding = await behind.HoldFlushesAsync(cancellationToken);
            var stored = await DeleteStoredAsync(id);
            bool unflushed;
            lock (_versions)
            {
                behind.Cancel(Key(id));
                _quarantined.TryRemove(id, out _);
                unflushed = _unflushed.TryRemove(id, out _);
                _parsed.TryRemove(id, out _);
                Interlocked.Increment(ref _generation);
            }

            return stored | unflushed;
        }

        return await DeleteStoredAsync(id);
    }

    private async Task<bool> DeleteStoredAsync(string id)
    {
        using var writing = await database.EnterWriteAsync();
        var connection = writing.Connection;
        var command = connection.Prepared("DELETE FROM users WHERE id = $id");
        command.Parameters.AddWithValue("$id", id);
        _parsed.TryRemove(id, out _);
        return command.ExecuteNonQuery() == 1;
    }

    /// <summary>The stage of user documents in a flush: before the queue's completions (<see cref="SqliteEventQueue.CompletionStage"/>).</summary>
    public const int UserStage = 0;

    private static string Key(string id) => "user:" + id;

    /// <summary>
    /// Write-behind: compares <paramref name="expectedETag"/> with the user's newest version (unflushed, cached, or
    /// else stored) and, if it matches, makes <paramref name="document"/> the newest; returns its version, or null
    /// when another writer got there first; and the write deferred to store it.
    /// </summary>
    private (long Version, DeferredUserWrite Write)? TryAdvance(UserDocument document, string? expectedETag, SqliteWriteBehind behind, bool awaited = false)
    {
        long? expected = null;
        if (expectedETag is not null)
        {
            if (!long.TryParse(expectedETag, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return null;
            }

            expected = parsed;
        }

        var id = document.Id;
        while (true)
        {
            // A user memory does not know (the cache was cleared) is looked up in the file, outside the lock.
            (bool Known, long? Version) stored = default;
            var generation = Volatile.Read(ref _generation);
            if (!_unflushed.ContainsKey(id) && !_parsed.ContainsKey(id))
            {
                using var connection = database.Open();
                stored = (true, StoredVersion(connection, id));
            }

            lock (_versions)
            {
                // Checked under the lock Dropped sets it under: no version of the user is deferred after their drop.
                // A forgetting (a tombstone) goes through: it is what puts the user right.
                if (_anyDropped && _quarantined.TryGetValue(id, out var quarantine))
                {
                    if (document.DeletedAt is null && Environment.TickCount64 - quarantine.DroppedAt < QuarantineAfterDrop.TotalMilliseconds)
                    {
                        throw new InvalidOperationException($"User {id}'s document could not be stored lately ({quarantine.Reason}); their writes are refused for {QuarantineAfterDrop.TotalSeconds:F0} s after that.");
                    }

                    _quarantined.TryRemove(id, out _);
                }

                long? current;
                if (_unflushed.TryGetValue(id, out var newest))
                {
                    current = newest.Version;
                }
                else if (_parsed.TryGetValue(id, out var cached))
                {
                    current = cached.Version;
                }
                else if (stored.Known && Volatile.Read(ref _generation) == generation)
                {
                    current = stored.Version;
                }
                else
                {
                    // Dropped from the cache between the look and the lock (or the cache was emptied while the file was
                    // read, so what it said may be older than a version flushed meanwhile): look in the file again.
                    continue;
                }

                if (current != expected)
                {
                    return null;
                }

                // Past any dropped version too: a reader that saw one must not find its version number current again.
                var version = Math.Max(current ?? 0, _anyDropped && _droppedVersions.TryGetValue(id, out var dropped) ? dropped : 0) + 1;

                // The cache keeps the encoding it had: the base the next encoding copies from (see Encode). Of the
                // version it encodes, only what that comparison needs stays alive (AsBase): all of it would be copied by
                // the collector beside the newest version for as long as the interval lasts.
                var encodedBase = _parsed.TryGetValue(id, out var previous) ? previous.Encoded : null;
                if (encodedBase is not null && ReferenceEquals(encodedBase.Document, previous.Document))
                {
                    encodedBase = encodedBase.AsBase();
                }

                // Deferred under the lock, so that the waiting write of a user is always their newest version: deferred
                // after it, an older one would replace it, and the newest would never be stored. And deferred before
                // readers can see it (in the unflushed versions, then the cache): a version read from memory is then
                // always one that a flush starting later stores.
                var write = new DeferredUserWrite(this, id, version, document, awaited);
                behind.Defer(Key(id), UserStage, write);
                _unflushed[id] = (version, document);
                Remember(id, version, document, encodedBase);
                return (version, write);
            }
        }
    }

    /// <summary>A process that trusts its own memory must be the only one writing (see <see cref="SqliteDatabase.ClaimDataDirectory"/>).</summary>
    private void Claim() => database.ClaimDataDirectory(_exclusive);

    /// <summary>The version stored for the user, null when there is no row.</summary>
    private static long? StoredVersion(PooledConnection connection, string id)
    {
        var probe = connection.Prepared("SELECT version FROM users WHERE id = $id");
        probe.Parameters.AddWithValue("$id", id);
        return probe.ExecuteScalar() is long version ? version : null;
    }

    private static Task<Versioned<UserDocument>?> Found(UserDocument document, long version)
        => Task.FromResult<Versioned<UserDocument>?>(new Versioned<UserDocument>(document, version.ToString(CultureInfo.InvariantCulture)));

    /// <summary>A flush stored <paramref name="version"/> of the user: it is no longer unflushed (unless a newer one is), and its encoding is the next one's base.</summary>
    private void Flushed(string id, long version, UserDocument document, EncodedUserDocument encoded)
    {
        lock (_versions)
        {
            if (_unflushed.TryGetValue(id, out var newest) && newest.Version == version)
            {
                _unflushed.TryRemove(id, out _);
            }

            if (_anyDropped && _droppedVersions.TryGetValue(id, out var dropped) && version > dropped)
            {
                // Stored above it: the stored version keeps the numbers ahead of what was dropped.
                _droppedVersions.TryRemove(id, out _);
            }

            if (_parsed.TryGetValue(id, out var cached))
            {
                // The stored encoding is the newest there is, whether the cached version is this one or a later one.
                if (cached.Version > version)
                {
                    _parsed[id] = (cached.Version, cached.Document, encoded.AsBase());
                }
                else
                {
                    // This version, or an older one the cache should not have kept: what was stored stands.
                    _parsed[id] = (version, document, encoded);
                }
            }
            else if (!_unflushed.ContainsKey(id))
            {
                Remember(id, version, document, encoded);
            }
        }
    }

    /// <summary>
    /// A version that will not be stored (its write failed on its own): memory forgets it, and reads go back to the
    /// stored version, unless a newer one waits (which a later flush tries on its own).
    /// </summary>
    private void Dropped(string id, long version, Exception reason)
    {
        lock (_versions)
        {
            _anyDropped = true;
            _quarantined[id] = (Environment.TickCount64, reason.Message);
            _droppedVersions.AddOrUpdate(id, version, (_, before) => Math.Max(before, version));
            if (_unflushed.TryGetValue(id, out var newest) && newest.Version == version)
            {
                _unflushed.TryRemove(id, out _);
                _parsed.TryRemove(id, out _);
            }
        }
    }

    /// <summary>One user's newest document, written by the flush unless an equal or newer version is already stored.</summary>
    private sealed class DeferredUserWrite(SqliteUserStore store, string id, long version, UserDocument document, bool awaited = false) : DeferredWrite
    {
        private EncodedUserDocument? _encoded;
        private volatile Exception? _dropped;
        private volatile bool _stored;

        // The awaited write (a single write whose caller waits for its flush) that this one took the place of, if any:
        // it learns from this one whether its version was stored. Only awaited writes are watched, and the link points
        // from the newer write back to the awaited one, which is alive anyway while its caller waits: a batch's
        // superseded write, garbage in an older generation, must not keep its successor alive (see benchmarks.md on
        // what the collector copies).
        private DeferredUserWrite? _watcher;

        /// <summary>Whether this version, or a newer one that took its place before a flush, is stored (awaited writes only).</summary>
        public bool Stored => _stored;

        /// <summary>Why this version was not stored, when its write or that of a newer version that took its place was dropped (awaited writes only).</summary>
        public Exception? Dropped => _dropped;

        public override void Abandoned(Exception reason)
        {
            _dropped = reason;
            if (_watcher is { } watcher)
            {
                watcher._dropped ??= reason;
            }

            _encoded = null;
            store.Dropped(id, version, reason);
        }

        public override void SupersededBy(DeferredWrite newer)
        {
            if ((awaited ? this : _watcher) is { } watcher && newer is DeferredUserWrite successor)
            {
                successor._watcher = watcher;
            }
        }

        public override void Prepare() => _encoded = store.Encode(document);

        public override void Write(PooledConnection connection, Microsoft.Data.Sqlite.SqliteTransaction transaction)
        {
            var upsert = connection.Prepared("""
                INSERT INTO users (id, doc, version) VALUES ($id, $doc, $version)
                ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, version = excluded.version WHERE excluded.version > users.version
                """);
            upsert.Transaction = transaction;
            upsert.Parameters.AddWithValue("$id", id);
            upsert.Parameters.AddWithValue("$doc", _encoded!.Bytes);
            upsert.Parameters.AddWithValue("$version", version);
            upsert.ExecuteNonQuery();
        }

        public override void Committed()
        {
            _stored = true;
            if (_watcher is { } watcher)
            {
                watcher._stored = true;
            }

            var encoded = _encoded!;
            _encoded = null;
            store.Flushed(id, version, document, encoded);
        }
    }
}
