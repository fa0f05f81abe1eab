using System.Globalization;
using FuncRec.Application.Ports;
using Microsoft.Extensions.Options;

namespace FuncRec.Embedded;

/// <summary>
/// The event queue as a SQLite table: a message is durable once its INSERT commits. Receiving hides messages
/// for the visibility timeout and counts the delivery (at-least-once, as Azure Queue Storage does); completing
/// deletes; poisoning moves the message to the poison table with its reason. Enqueues in this process wake the
/// consumer at once, so events reach the model in milliseconds rather than a polling interval.
/// </summary>
public sealed class SqliteEventQueue(SqliteDatabase database, IOptions<EmbeddedOptions> options, TimeProvider clock) : IEventQueue, IEventQueueReceiver
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
    private readonly BoundedSignal _room = new();

    /// <summary>Whether this process has made visible what processes before it left in hand (see ReceiveAsync).</summary>
    private bool _recovered;

    /// <summary>When this process's queue came to be: messages stored before it belong to processes before it.</summary>
    private readonly long _startedAt = clock.GetUtcNow().UtcTicks;

    /// <summary>Messages whose completion is deferred and not yet flushed: done, though still in the table.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, bool> _completing = new();

    /// <summary>
    /// Completions that a flush dropped because a write deferred before them failed on its own (see
    /// <see cref="SqliteWriteBehind"/>), with why: the next completion of the message fails with that reason, so the
    /// consumer retries the batch and, if it keeps failing, sends it to the poison queue.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, string> _droppedCompletions = new();

    /// <summary>
    /// A message's row id, and how many deferred writes the write-behind had dropped when the message was stored
    /// (held) or received: its batch's documents are deferred after that, so a later count may mean one of them
    /// was dropped, and the message must then not leave the queue.
    /// </summary>
    private sealed record Receipt(long Id, long Abandonments);

    private long Abandonments => Behind?.Abandonments ?? 0;

    private static long IdOf(object receipt) => ((Receipt)receipt).Id;

    /// <summary>The stage of completions in a flush: after the user documents their batches wrote.</summary>
    public const int CompletionStage = SqliteUserStore.UserStage + 1;

    /// <summary>
    /// When the database writes behind, completions wait for the flush that stores the documents their batches
    /// wrote (<see cref="SqliteWriteBehind"/>); else a message is deleted at once.
    /// </summary>
    private SqliteWriteBehind? Behind => options.Value.ExclusiveDataDirectory ? database.WriteBehind : null;

    public int MaxMessageBytes => options.Value.MaxMessageBytes;

    public async Task EnqueueAsync(string batchJson, CancellationToken cancellationToken)
    {
        using (var writing = await database.EnterWriteAsync())
        {
            var connection = writing.Connection;
            var now = clock.GetUtcNow().UtcTicks;
            var command = connection.Prepared("INSERT INTO queue (body, visible_at, dequeue_count, inserted_at) VALUES ($body, $now, 0, $now)");
            command.Parameters.AddWithValue("$body", batchJson);
            command.Parameters.AddWithValue("$now", now);
            command.ExecuteNonQuery();
        }

        _signal.Release();
    }

    public async Task<HeldMessage> EnqueueHeldAsync(string batchJson, TimeSpan hold, CancellationToken cancellationToken)
    {
        using var writing = await database.EnterWriteAsync();
        var connection = writing.Connection;
        var now = clock.GetUtcNow().UtcTicks;
        var abandonments = Abandonments;
        var command = connection.Prepared("INSERT INTO queue (body, visible_at, dequeue_count, inserted_at) VALUES ($body, $visible, 0, $now) RETURNING id");
        command.Parameters.AddWithValue("$body", batchJson);
        command.Parameters.AddWithValue("$visible", now + Math.Max(0, hold.Ticks));
        command.Parameters.AddWithValue("$now", now);
        var id = (long)command.ExecuteScalar()!;
        return new HeldMessage(id.ToString(CultureInfo.InvariantCulture), new Receipt(id, abandonments));
    }

    public async Task RemoveHeldAsync(HeldMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);

        // Never delivered: still the producer's. Once a consumer has received it, that delivery completes it.
        if (Behind is { } behind)
        {
            // Held messages are not part of the backlog: nothing to count while the removal waits. Nor is the message
            // kept from consumers meanwhile: one may have received it already, when its hold ran out, and then that
            // delivery completes it (the removal deletes only a message never delivered). Holds last far longer than
            // a flush interval, so a consumer meeting a removed message (and finding its batch applied) is rare.
            // Unless a write was dropped since the message was stored: the batch applied in the request may have lost a
            // document with it, and the message is then left for a consumer, whose delivery applies what is missing.
            var held = (Receipt)message.Receipt;
            behind.DeferUnlessAbandonedSince(held.Abandonments, Key("remove", held.Id), CompletionStage, new DeferredDelete(held.Id, OnlyUndelivered: true, Done: null, Dropped: null));
            return;
        }

        using var writing = await database.EnterWriteAsync();
        var connection = writing.Connection;
        var command = connection.Prepared(DeleteUndelivered);
        command.Parameters.AddWithValue("$id", IdOf(message.Receipt));
        if (command.ExecuteNonQuery() > 0)
        {
            _room.Pulse();
        }
    }

    private const string DeleteUndelivered = "DELETE FROM queue WHERE id = $id AND dequeue_count = 0";

    private const string Delete = "DELETE FROM queue WHERE id = $id";

    /// <summary>A key per message and kind of deletion: a held message's removal and a consumer's completion of it each run (the second deletes nothing).</summary>
    private static string Key(string kind, long id) => $"queue-{kind}:{id.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>A message's deletion, deferred to the flush after the documents its batch wrote.</summary>
    private sealed class DeferredDelete(long id, bool OnlyUndelivered, Action? Done, Action<string>? Dropped) : DeferredWrite
    {
        public override void Write(PooledConnection connection, Microsoft.Data.Sqlite.SqliteTransaction transaction)
        {
            var command = connection.Prepared(OnlyUndelivered ? DeleteUndelivered : Delete);
            command.Transaction = transaction;
            command.Parameters.AddWithValue("$id", id);
            command.ExecuteNonQuery();
        }

        public override void Committed() => Done?.Invoke();

        public override void Abandoned(Exception reason) => Dropped?.Invoke(reason.Message);
    }

    public Task<long> CountAsync(CancellationToken cancellationToken)
    {
        // Held messages their producer is still applying are not waiting for consumers (nor part of their backlog);
        // once a hold ends unremoved, the message counts.
        using var connection = database.Open();
        var command = connection.Prepared("SELECT COUNT(*) FROM queue WHERE NOT (dequeue_count = 0 AND visible_at > $now)");
        command.Parameters.AddWithValue("$now", clock.GetUtcNow().UtcTicks);

        // Completed messages whose deletion waits for a flush are not backlog. (Read after the count, a flush that
        // committed in between is subtracted twice: the backlog looks smaller for a moment, never larger.)
        var count = (long)command.ExecuteScalar()!;
        return Task.FromResult(Math.Max(0, count - _completing.Count));
    }

    /// <summary>Messages in the poison table (for health, tests and operators).</summary>
    public IReadOnlyList<(long Id, string Body, string Reason, long DequeueCount)> PoisonMessages()
    {
        using var connection = database.Open();
        var command = connection.Prepared("SELECT id, body, reason, dequeue_count FROM poison ORDER BY id");
        using var reader = command.ExecuteReader();
        var list = new List<(long, string, string, long)>();
        while (reader.Read())
        {
            list.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
        }

        return list;
    }

    public async Task<IReadOnlyList<QueueMessage>> ReceiveAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        // Recovering what "a process before it" had in hand (below) is only right if no other process is receiving now.
        database.ClaimDataDirectory(options.Value.ExclusiveDataDirectory);

        var now = clock.GetUtcNow().UtcTicks;
        using var writing = await database.EnterWriteAsync();
        var connection = writing.Connection;
        if (options.Value.ExclusiveDataDirectory && !_recovered)
        {
            // This process is alone in the directory and receives for the first time: what a process before it had in
            // hand (received, completed but not flushed, or held to apply itself) is delivered now, not when its
            // visibility timeout or hold ends. Messages this process stored are its own business. Marked done only
            // once it succeeded (under the write turn, so once).
            var recover = connection.Prepared("UPDATE queue SET visible_at = 0 WHERE visible_at > 0 AND inserted_at < $before");
            recover.Parameters.AddWithValue("$before", _startedAt);
            recover.ExecuteNonQuery();
            _recovered = true;
        }

        // Completed messages whose deletion waits for a flush are done: never delivered again, whatever their visibility.
        var command = connection.Prepared("""
            UPDATE queue SET visible_at = $hidden, dequeue_count = dequeue_count + 1
            WHERE id IN (SELECT id FROM queue WHERE visible_at <= $now AND id NOT IN (SELECT value FROM json_each($deleting)) ORDER BY id LIMIT $max)
            RETURNING id, body, dequeue_count
            """);
        command.Parameters.AddWithValue("$deleting", _completing.IsEmpty ? "[]" : $"[{string.Join(',', _completing.Keys)}]");
        command.Parameters.AddWithValue("$now", now);
        command.Parameters.AddWithValue("$hidden", now + visibilityTimeout.Ticks);
        command.Parameters.AddWithValue("$max", maxMessages);
        var abandonments = Abandonments;
        using var reader = command.ExecuteReader();
        var messages = new List<QueueMessage>();
        while (reader.Read())
        {
            var id = reader.GetInt64(0);
            messages.Add(new QueueMessage(id.ToString(CultureInfo.InvariantCulture), reader.GetString(1), reader.GetInt64(2), new Receipt(id, abandonments)));
        }

        return messages.OrderBy(m => IdOf(m.Receipt)).ToArray();
    }

    public async Task CompleteAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        var receipt = (Receipt)message.Receipt;
        if (_droppedCompletions.TryRemove(receipt.Id, out var dropped))
        {
            // An earlier completion of this message was dropped with a document of its batch: this delivery has
            // applied the batch again, but whether its documents can be stored is known only at the next flush.
            throw new InvalidOperationException($"The batch's earlier completion was dropped, so it is applied and tried again: {dropped}");
        }

        if (Behind is { } behind)
        {
            // Not delivered again (see ReceiveAsync), unless the process dies before the flush: then its batch is
            // recognised as applied.
            var id = receipt.Id;
            _completing[id] = true;
            var completion = new DeferredDelete(id, OnlyUndelivered: false, Done: () => _completing.TryRemove(id, out _), Dropped: reason =>
            {
                _droppedCompletions[id] = reason;
                _completing.TryRemove(id, out _);
            });
            if (!behind.DeferUnlessAbandonedSince(receipt.Abandonments, Key("complete", id), CompletionStage, completion))
            {
                _completing.TryRemove(id, out _);
                throw new InvalidOperationException($"A write was dropped while the batch was applied ({behind.LastDropReason}), so the batch is tried again.");
            }

            _room.Pulse();
            return;
        }

        using var writing = await database.EnterWriteAsync();
        var connection = writing.Connection;
        var command = connection.Prepared(Delete);
        command.Parameters.AddWithValue("$id", receipt.Id);
        command.ExecuteNonQuery();
        _room.Pulse();
    }

    public async Task ReleaseAsync(QueueMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        using var writing = await database.EnterWriteAsync();
        var connection = writing.Connection;
        var command = connection.Prepared("UPDATE queue SET visible_at = $visible WHERE id = $id");
        command.Parameters.AddWithValue("$id", IdOf(message.Receipt));
        command.Parameters.AddWithValue("$visible", clock.GetUtcNow().UtcTicks + delay.Ticks);
        command.ExecuteNonQuery();
    }

    public async Task DeadLetterAsync(QueueMessage message, string reason, CancellationToken cancellationToken)
    {
        _droppedCompletions.TryRemove(IdOf(message.Receipt), out _);
        if (Behind is { } behind)
        {
            // What the batch applied before it failed for good is stored before its message leaves the queue.
            await behind.FlushAsync(cancellationToken);
        }

        using var writing = await database.EnterWriteAsync();
        var connection = writing.Connection;
        using var transaction = connection.BeginTransaction();
        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT OR REPLACE INTO poison (id, body, reason, dequeue_count, failed_at) VALUES ($id, $body, $reason, $count, $at)";
            insert.Parameters.AddWithValue("$id", IdOf(message.Receipt));
            insert.Parameters.AddWithValue("$body", message.Body);
            insert.Parameters.AddWithValue("$reason", reason);
            insert.Parameters.AddWithValue("$count", message.DequeueCount);
            insert.Parameters.AddWithValue("$at", clock.GetUtcNow().UtcTicks);
            insert.ExecuteNonQuery();
        }

        using (var delete = connection.CreateCommand())
        {
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM queue WHERE id = $id";
            delete.Parameters.AddWithValue("$id", IdOf(message.Receipt));
            delete.ExecuteNonQuery();
        }

        transaction.Commit();
        _room.Pulse();
    }

    public Task WaitForRoomAsync(TimeSpan maxWait, CancellationToken cancellationToken) => _room.WaitAsync(maxWait, cancellationToken);

    public async Task WaitForMessagesAsync(TimeSpan maxWait, CancellationToken cancellationToken)
        => await _signal.WaitAsync(maxWait, cancellationToken);
}
