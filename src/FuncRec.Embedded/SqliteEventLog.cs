using System.Globalization;
using FuncRec.Application.Contracts;
using FuncRec.Application.Ports;

namespace FuncRec.Embedded;

/// <summary>
/// The event log as a SQLite table: positions are the row's sequence number (zero-padded, so ordinal order is
/// apply order); a batch id can be logged only once. Commits are atomic, so the settled end is simply the last row.
/// </summary>
public sealed class SqliteEventLog(SqliteDatabase database) : IEventLog
{
    public async Task<string> AppendAsync(AppliedBatch batch, CancellationToken cancellationToken)
    {
        // Serialised before this writer takes its turn: other writers wait only for the database work.
        var body = EmbeddedJson.Write(batch);
        using var writing = await database.EnterWriteAsync();
        var connection = writing.Connection;
        var command = connection.Prepared("""
            INSERT INTO eventlog (batch_id, body, events) VALUES ($batch, $body, $events) ON CONFLICT(batch_id) DO NOTHING;
            SELECT seq FROM eventlog WHERE batch_id = $batch;
            """);
        command.Parameters.AddWithValue("$batch", batch.BatchId);
        command.Parameters.AddWithValue("$body", body);
        command.Parameters.AddWithValue("$events", batch.Events.Count);
        return Position((long)command.ExecuteScalar()!);
    }

    public Task<IReadOnlyList<LoggedBatch>> ReadAsync(string? afterPosition, string? toPosition, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        var command = connection.Prepared("SELECT seq, body FROM eventlog WHERE seq > $after AND seq <= $to ORDER BY seq");
        command.Parameters.AddWithValue("$after", Sequence(afterPosition) ?? 0);
        command.Parameters.AddWithValue("$to", Sequence(toPosition) ?? long.MaxValue);
        return Task.FromResult(ReadBatches(command));
    }

    public Task<string?> GetSettledEndAsync(CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        var command = connection.Prepared("SELECT MAX(seq) FROM eventlog");
        var result = command.ExecuteScalar();
        return Task.FromResult(result is long seq ? Position(seq) : null);
    }

    public Task<IReadOnlyList<LoggedBatch>> ReadTailAsync(int minEvents, string? toPosition, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        var to = Sequence(toPosition) ?? long.MaxValue;

        // Walk back from the end only as far as the tail needs: the log grows without bound, and the window function
        // that summed it before read every row (and each row's body, which precedes its count) on every call.
        var scan = connection.Prepared("SELECT seq, events FROM eventlog WHERE seq <= $to ORDER BY seq DESC");
        scan.Parameters.AddWithValue("$to", to);
        var wanted = Math.Max(1, minEvents);
        long from = 0;
        long events = 0;
        using (var reader = scan.ExecuteReader())
        {
            while (events < wanted && reader.Read())
            {
                from = reader.GetInt64(0);
                events += reader.GetInt64(1);
            }
        }

        var command = connection.Prepared("SELECT seq, body FROM eventlog WHERE seq >= $from AND seq <= $to ORDER BY seq");
        command.Parameters.AddWithValue("$from", from);
        command.Parameters.AddWithValue("$to", to);
        return Task.FromResult(ReadBatches(command));
    }

    private static IReadOnlyList<LoggedBatch> ReadBatches(Microsoft.Data.Sqlite.SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var batches = new List<LoggedBatch>();
        while (reader.Read())
        {
            batches.Add(new LoggedBatch(Position(reader.GetInt64(0)), EmbeddedJson.Read<AppliedBatch>(reader.GetString(1))));
        }

        return batches;
    }

    private static string Position(long sequence) => sequence.ToString("D20", CultureInfo.InvariantCulture);

    private static long? Sequence(string? position)
        => position is null ? null
            : long.TryParse(position, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) ? sequence
            : throw new ArgumentException($"'{position}' is not a position of this event log.", nameof(position));
}
