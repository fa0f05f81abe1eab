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
        var command = connection.Prepared("INSERT INTO queue (body, visible_at, dequeue_count, inserted_at) VALUES ($body, $visible, 0, $now) RETURNING id");
        command.Parameters.AddWithValue("$body", batchJson);
        command.Parameters.AddWithValue("$visible", now + Math.Max(0, hold.Ticks));
        command.Parameters.AddWithValue("$now", now);
        var id = (long)command.ExecuteScalar()!;
        return new HeldMessage(id.ToString(CultureInfo.InvariantCulture), id);
    }

    public async Task RemoveHeldAsync(HeldMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var writing = await database.EnterWriteAsync();
        var connection = writing.Connection;

        // Never delivered: still the producer's. Once a consumer has received it, that delivery completes it.
        var command = connection.Prepared("DELETE FROM queue WHERE id = $id AND dequeue_count = 0");
        command.Parameters.AddWithValue("$id", (long)message.Receipt);
        if (command.ExecuteNonQuery() > 0)
        {
            _room.Pulse();
        }
    }

    public Task<long> CountAsync(CancellationToken cancellationToken)
    {
        // Held messages their producer is still applying are not waiting for consumers (nor part of their backlog);
        // once a hold ends unremoved, the message counts.
        using var connection = database.Open();
        var command = connection.Prepared("SELECT COUNT(*) FROM queue WHERE NOT (dequeue_count = 0 AND visible_at > $now)");
        command.Parameters.AddWithValue("$now", clock.GetUtcNow().UtcTicks);
        return Task.FromResult((long)command.ExecuteScalar()!);
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
        var now = clock.GetUtcNow().UtcTicks;
        using var writing = await database.EnterWriteAsync();
        var connection = writing.Connection;
        var command = connection.Prepared("""
            UPDATE queue SET visible_at = $hidden, dequeue_count = dequeue_count + 1
            WHERE id IN (SELECT id FROM queue WHERE visible_at <= $now ORDER BY id LIMIT $max)
            RETURNING id, body, dequeue_count
            """);
        command.Parameters.AddWithValue("$now", now);
        command.Parameters.AddWithValue("$hidden", now + visibilityTimeout.Ticks);
        command.Parameters.AddWithValue("$max", maxMessages);
        using var reader = command.ExecuteReader();
        var messages = new List<QueueMessage>();
        while (reader.Read())
        {
            var id = reader.GetInt64(0);
            messages.Add(new QueueMessage(id.ToString(CultureInfo.InvariantCulture), reader.GetString(1), reader.GetInt64(2), id));
        }

        return messages.OrderBy(m => (long)m.Receipt).ToArray();
    }

    public async Task CompleteAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        using var writing = await database.EnterWriteAsync();
        var connection = writing.Connection;
        var command = connection.Prepared("DELETE FROM queue WHERE id = $id");
        command.Parameters.AddWithValue("$id", (long)message.Receipt);
        command.ExecuteNonQuery();
        _room.Pulse();
    }

    public async Task ReleaseAsync(QueueMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        using var writing = await database.EnterWriteAsync();
        var connection = writing.Connection;
        var command = connection.Prepared("UPDATE queue SET visible_at = $visible WHERE id = $id");
        command.Parameters.AddWithValue("$id", (long)message.Receipt);
        command.Parameters.AddWithValue("$visible", clock.GetUtcNow().UtcTicks + delay.Ticks);
        command.ExecuteNonQuery();
    }

    public async Task DeadLetterAsync(QueueMessage message, string reason, CancellationToken cancellationToken)
    {
        using var writing = await database.EnterWriteAsync();
        var connection = writing.Connection;
        using var transaction = connection.BeginTransaction();
        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT OR REPLACE INTO poison (id, body, reason, dequeue_count, failed_at) VALUES ($id, $body, $reason, $count, $at)";
            insert.Parameters.AddWithValue("$id", (long)message.Receipt);
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
            delete.Parameters.AddWithValue("$id", (long)message.Receipt);
            delete.ExecuteNonQuery();
        }

        transaction.Commit();
        _room.Pulse();
    }

    public Task WaitForRoomAsync(TimeSpan maxWait, CancellationToken cancellationToken) => _room.WaitAsync(maxWait, cancellationToken);

    public async Task WaitForMessagesAsync(TimeSpan maxWait, CancellationToken cancellationToken)
        => await _signal.WaitAsync(maxWait, cancellationToken);
}
