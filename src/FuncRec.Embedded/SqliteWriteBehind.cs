using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FuncRec.Embedded;

/// <summary>
/// A write held back until the database's next flush (<see cref="SqliteWriteBehind"/>). Writes of one key replace
/// each other while they wait, so a user updated by ten batches in one interval is written once.
/// </summary>
public abstract class DeferredWrite
{
    /// <summary>Work done before the write turn is taken (encoding), so that the turn covers only database work.</summary>
    public virtual void Prepare()
    {
    }

    /// <summary>Writes inside the flush's transaction, under the write turn.</summary>
    public abstract void Write(PooledConnection connection, SqliteTransaction transaction);

    /// <summary>Called once the transaction that held the write has committed.</summary>
    public virtual void Committed()
    {
    }

    /// <summary>
    /// Called when the write failed on its own (others of the same flush committed) and is dropped: it will never be
    /// stored, so whatever stood for it in memory must go. A write that can never be stored must not keep every later
    /// write from being stored.
    /// </summary>
    public virtual void Abandoned(Exception reason)
    {
    }

    /// <summary>Called when a newer write of the same key took this one's place before it was stored: that one stores both.</summary>
    public virtual void SupersededBy(DeferredWrite newer)
    {
    }
}

/// <summary>
/// Writes that may wait, flushed together every interval in a few large transactions: the user documents a queue
/// consumer writes for each batch, and the completions of the queue messages those batches came from.
/// <para>
/// Why it is safe. A message's completion is deferred with the documents its batch wrote, in a later stage, so no
/// message leaves the queue before the documents it changed are stored. A process killed before a flush loses
/// documents and completions together: the messages are delivered again, and the consumer's per-user applied-id
/// and batch windows (stored in the very documents) apply each event exactly once, as they do after any crash
/// between a batch's writes. Nothing accepted is lost: an event is accepted once its message is stored, which is
/// never deferred.
/// </para>
/// <para>
/// Why it pays. Under ingest load every event rewrote its user's 4 KB page, which the log then copied into the
/// database file: the write turn was held most of the time, and most of it for those pages. Users with several
/// events in one interval are now written once, and documents are encoded only when written.
/// </para>
/// <para>
/// A write that fails on its own. When a transaction fails, its writes not yet committed are tried again one by one. A write that
/// fails alone, while the others commit (or at least a probe row of the flush's own, <c>write_probe</c>), and not with
/// an error of the whole database (full, read-only, busy, out of memory, I/O), waits for the next flush, and holds
/// back the later stages of its flush with it; once its key has failed alone in <see cref="FailuresBeforeDropping"/>
/// flushes in a row it is dropped (<see cref="DeferredWrite.Abandoned"/>, logged as an error), and so is every write
/// of a later stage deferred until then, which may be the completion of a batch whose document it was: those batches
/// are delivered again instead, and a batch that keeps failing ends in the poison queue with its reason. Callers that
/// defer such a completion after the drop compare <see cref="Abandonments"/> (see <see cref="DeferUnlessAbandonedSince"/>).
/// An error of the whole database leaves everything waiting for the next flush, as any failure did before: one
/// write that can never be stored used to keep every later flush, and so every later write, from being stored.
/// </para>
/// </summary>
public sealed class SqliteWriteBehind
{
    /// <summary>Writes per flush transaction at most: the write turn is released between them, so enqueues never wait for a whole flush.</summary>
    public const int WritesPerTransaction = 256;

    /// <summary>
    /// Writes a flush transaction makes before it gives the turn up to a write a caller waits on
    /// (<see cref="SqliteDatabase.UrgentWriterWaiting"/>): such a write waits a few milliseconds at most, and under a
    /// stream of them a flush still stores this many per turn (smaller transactions cost events/s).
    /// </summary>
    public const int WritesBeforeGivingWay = 32;

    /// <summary>
    /// Flushes in a row in which a key's write failed on its own before it is dropped, spanning at least two intervals
    /// (single writes and dead-letterings flush too, within milliseconds): a passing fault clears within them.
    /// </summary>
    public const int FailuresBeforeDropping = 3;

    private readonly SqliteDatabase _database;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private long _sequence;
    private long _abandonments;

    // Keys whose write failed on its own in the last flushes, with how many in a row (see FailuresBeforeDropping); a key
    // keeps its count across newer versions of it, which a user's next events make at every interval.
    private readonly Dictionary<string, (int Count, long FirstAt)> _failedAlone = new(StringComparer.Ordinal);
    private Task? _loop;
    private bool _stopped;

    public SqliteWriteBehind(SqliteDatabase database, TimeSpan interval, ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _database = database;
        _interval = interval;
        _logger = logger ?? NullLogger.Instance;
        FailingTimeBeforeDropping = 2 * interval;
    }

    public TimeSpan Interval => _interval;

    /// <summary>How long a key's write must have been failing on its own, besides <see cref="FailuresBeforeDropping"/> flushes, before it is dropped (two intervals).</summary>
    public TimeSpan FailingTimeBeforeDropping { get; set; }

    /// <summary>Writes waiting for the next flush.</summary>
    public int PendingCount
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>
    /// How many flushes since this instance was made dropped writes because they kept failing on their own (see the
    /// remarks on the class): a count that changed since a message was received means its completion may not pass.
    /// </summary>
    public long Abandonments => Volatile.Read(ref _abandonments);

    /// <summary>Which write the last drop was, and why; null before any.</summary>
    public string? LastDropReason { get; private set; }

    /// <summary>
    /// Holds <paramref name="write"/> for the next flush, in place of any write of the same key still waiting. Stages
    /// flush in order (a lower stage is committed before a higher one's first write); within a stage, in the order
    /// the writes were last deferred.
    /// </summary>
    public void Defer(string key, int stage, DeferredWrite write)
    {
        lock (_lock)
        {
            DeferHeld(key, stage, write);
        }
    }

    /// <summary>
    /// <see cref="Defer"/>, unless a write was abandoned since <see cref="Abandonments"/> read <paramref name="abandonments"/>:
    /// then false and nothing is deferred. A completion deferred this way never follows a document of its batch that
    /// was dropped: the check and the deferral are one step under the lock that abandoning takes.
    /// </summary>
    public bool DeferUnlessAbandonedSince(long abandonments, string key, int stage, DeferredWrite write)
    {
        lock (_lock)
        {
            if (Volatile.Read(ref _abandonments) != abandonments)
            {
                return false;
            }

            DeferHeld(key, stage, write);
            return true;
        }
    }

    /// <summary>Called under <c>_lock</c>.</summary>
    private void DeferHeld(string key, int stage, DeferredWrite write)
    {
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_pending, key, out var existed);
        if (existed)
        {
            slot!.Write.SupersededBy(write);
        }

        slot = new Pending(key, stage, ++_sequence, write, Volatile.Read(ref _abandonments));
        if (_stopped)
        {
            // After the host stopped, nothing flushes on a timer: each late write is flushed on its own.
            _ = RunApart(FlushQuietlyAsync);
        }
        else
        {
            _loop ??= RunApart(RunAsync);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the pool without the caller's execution context: flushes run apart from whoever
    /// deferred first, and a request's context (<see cref="FuncRec.Application.Ports.CallerWaiting"/> among it) must not
    /// follow them into every flush to come.
    /// </summary>
    private static Task RunApart(Func<Task> work)
    {
        if (ExecutionContext.IsFlowSuppressed())
        {
            return Task.Run(work);
        }

        using (ExecutionContext.SuppressFlow())
        {
            return Task.Run(work);
        }
    }

    /// <summary>Drops the waiting write of <paramref name="key"/>, if any (call while holding flushes, see <see cref="HoldFlushesAsync"/>).</summary>
    public void Cancel(string key)
    {
        lock (_lock)
        {
            _pending.Remove(key);
            _failedAlone.Remove(key);
        }
    }

    /// <summary>Keeps any flush from running until the result is disposed (a flush under way finishes first).</summary>
    public async Task<IDisposable> HoldFlushesAsync(CancellationToken cancellationToken = default)
    {
        await _flushing.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Release(_flushing);
    }

    /// <summary>
    /// Writes everything deferred so far. On failure, what was not committed waits for the next flush (under any
    /// newer write of the same key) and the exception is thrown.
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await _flushing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await FlushHeldAsync().ConfigureAwait(false);
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>Stops the timer and flushes what waits; later writes are each flushed at once.</summary>
    public async Task StopAsync()
    {
        Task? loop;
        lock (_lock)
        {
            _stopped = true;
            loop = _loop;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }

        await FlushAsync().ConfigureAwait(false);
    }

    private async Task FlushHeldAsync()
    {
        Pending[] pending;
        lock (_lock)
        {
            if (_pending.Count == 0)
            {
                return;
            }

            pending = [.. _pending.Values];
            _pending = new Dictionary<string, Pending>(StringComparer.Ordinal);
        }

        Array.Sort(pending, static (a, b) => a.Stage != b.Stage ? a.Stage.CompareTo(b.Stage) : a.Sequence.CompareTo(b.Sequence));
        var outcomes = new Outcome[pending.Length];
        var held = new Flush();
        try
        {
            await WriteAsync(pending, outcomes, held).ConfigureAwait(false);
        }
        catch (Exception failure)
        {
            // Whatever the writes' callbacks or the database threw: what is not known to be stored or dropped waits.
            held.Failure ??= failure;
        }

        // Later stages of a stage with a failed write wait with it (a completion must not pass its documents), or go
        // if that write was dropped (it may be theirs); writes of the flush not written wait for the next one.
        var dropped = new List<Pending>();
        lock (_lock)
        {
            for (var i = 0; i < pending.Length; i++)
            {
                if (outcomes[i] != Outcome.Waiting)
                {
                    continue;
                }

                if (pending[i].Stage > held.DroppedStage)
                {
                    dropped.Add(pending[i]);
                }
                else if (!_pending.TryAdd(pending[i].Key, pending[i]))
                {
                    // A newer write of the key, deferred during the flush, replaces this one.
                    pending[i].Write.SupersededBy(_pending[pending[i].Key].Write);
                }
            }

            if (held.DroppedStage != int.MaxValue)
            {
                // Deferred while this flush ran, before the drop was counted: they may complete batches of the dropped write.
                foreach (var waiting in _pending.Values.Where(waiting => waiting.Stage > held.DroppedStage && waiting.Abandonments < held.DropCount).ToArray())
                {
                    _pending.Remove(waiting.Key);
                    dropped.Add(waiting);
                }
            }

            foreach (var write in dropped)
            {
                _failedAlone.Remove(write.Key);
            }
        }

        if (dropped.Count > 0)
        {
            var reason = new InvalidOperationException($"An earlier write was dropped ({held.DropReason}).");
            _logger.LogError("Dropped {Count} writes of later stages (queue completions) after a write that kept failing: their batches are delivered again", dropped.Count);
            foreach (var write in dropped)
            {
                TellDropped(write, reason);
            }
        }

        if (held.Failure is { } thrown)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(thrown);
        }
    }

    /// <summary>What one flush has met: the first failure to throw once it is done, and the lowest stages with a waiting or dropped write.</summary>
    private sealed class Flush
    {
        public Exception? Failure { get; set; }

        public int HeldStage { get; set; } = int.MaxValue;

        public int DroppedStage { get; set; } = int.MaxValue;

        /// <summary>The drop count once this flush dropped a write: writes deferred after it are not the dropped write's batch's.</summary>
        public long DropCount { get; set; }

        /// <summary>What the first write this flush dropped was, and why.</summary>
        public string? DropReason { get; set; }
    }

    private enum Outcome : byte
    {
        Waiting,
        Committed,
        Dropped,
    }

    /// <summary>Writes the flush's transactions in stage order until one stage holds the rest back (see the remarks on the class).</summary>
    private async Task WriteAsync(Pending[] pending, Outcome[] outcomes, Flush held)
    {
        var done = 0;
        while (done < pending.Length && pending[done].Stage <= held.HeldStage)
        {
            var count = Math.Min(WritesPerTransaction, pending.Length - done);

            // A transaction never mixes stages: a later stage's writes wait until the earlier stage is committed.
            for (var i = 1; i < count; i++)
            {
                if (pending[done + i].Stage != pending[done].Stage)
                {
                    count = i;
                    break;
                }
            }

            try
            {
                await CommitAsync(pending, outcomes, done, count).ConfigureAwait(false);
            }
            catch (Exception failure)
            {
                if (IsDatabaseWide(failure) || !await WriteOneByOneAsync(pending, outcomes, done, count, held).ConfigureAwait(false))
                {
                    held.Failure = failure;
                    return;
                }
            }

            done += count;
        }
    }

    /// <summary>
    /// The writes of a failed transaction, each in its own: false when the database stores nothing at all (then they
    /// all wait); else those that fail alone wait, or are dropped once their key has failed often enough.
    /// </summary>
    private async Task<bool> WriteOneByOneAsync(Pending[] pending, Outcome[] outcomes, int start, int count, Flush held)
    {
        var failed = new List<(int Index, Exception Reason)>();
        // Writes of this chunk committed before it failed (it gave the turn up part-way) show the database stores writes.
        var stored = Enumerable.Range(start, count).Any(i => outcomes[i] == Outcome.Committed);
        var tried = 0;
        for (var i = start; i < start + count; i++)
        {
            if (outcomes[i] == Outcome.Committed)
            {
                // Committed before the transaction that failed (one that let an urgent writer in split it).
                continue;
            }

            tried++;
            try
            {
                await CommitAsync(pending, outcomes, i, 1).ConfigureAwait(false);
                stored = true;
            }
            catch (Exception alone)
            {
                if (IsDatabaseWide(alone))
                {
                    return false;
                }

                failed.Add((i, alone));
            }
        }

        // Not one of several writes stored alone: the fault is not theirs (a bug or a schema problem hits them all).
        // One alone is judged by whether the database stores a probe row of its own.
        if (!stored && (tried > 1 || !await CanCommitAsync().ConfigureAwait(false)))
        {
            return false;
        }

        var dropping = new List<(int Index, Exception Reason, int Failures)>();
        foreach (var (index, reason) in failed)
        {
            var write = pending[index];
            held.HeldStage = Math.Min(held.HeldStage, write.Stage);
            int failures;
            lock (_lock)
            {
                var now = Environment.TickCount64;
                var (before, firstAt) = _failedAlone.GetValueOrDefault(write.Key, (0, now));
                failures = before + 1;
                _failedAlone[write.Key] = (failures, firstAt);
                if (failures >= FailuresBeforeDropping && now - firstAt >= FailingTimeBeforeDropping.TotalMilliseconds)
                {
                    _failedAlone.Remove(write.Key);
                    dropping.Add((index, reason, failures));
                    continue;
                }
            }

            held.Failure ??= reason;
            _logger.LogWarning(reason, "The deferred write {Key} failed on its own ({Failures} flushes in a row); it and the later stages wait for the next flush", write.Key, failures);
        }

        if (dropping.Count == 0)
        {
            return true;
        }

        // Memory forgets the dropped versions first, and only then is the drop counted: a message received after the
        // count (whose completion the count lets through) can no longer read them. Completions deferred before it are
        // swept at the end of the flush (see FlushHeldAsync).
        foreach (var (index, reason, failures) in dropping)
        {
            held.DropReason ??= $"the write {pending[index].Key} kept failing on its own: {reason.Message}";
            outcomes[index] = Outcome.Dropped;
            held.DroppedStage = Math.Min(held.DroppedStage, pending[index].Stage);
            _logger.LogError(reason, "Dropped the deferred write {Key}: it failed on its own in {Failures} flushes in a row while other writes were stored", pending[index].Key, failures);
            TellDropped(pending[index], reason);
        }

        lock (_lock)
        {
            LastDropReason = held.DropReason;
            held.DropCount = Interlocked.Increment(ref _abandonments);
        }

        return true;
    }

    /// <summary>
    /// Errors of the database as a whole, which no single write causes: everything waits for them to pass. Only what a
    /// row itself causes (SQLite's too big, constraint, type mismatch, out of range) or our own preparation of it
    /// refuses (an encoding) counts as a write failing on its own; anything else waits.
    /// </summary>
    private static bool IsDatabaseWide(Exception exception) => exception switch
    {
        // TOOBIG, CONSTRAINT, MISMATCH, RANGE.
        SqliteException sqlite => sqlite.SqliteErrorCode is not (18 or 19 or 20 or 25),
        PreparationFailedException { InnerException: not (OutOfMemoryException or IOException) } => false,
        _ => true,
    };

    /// <summary>A write's <see cref="DeferredWrite.Prepare"/> refused it (its document could not be encoded, say).</summary>
    private sealed class PreparationFailedException(Exception inner) : Exception(inner.Message, inner);

    private void TellDropped(Pending write, Exception reason)
    {
        try
        {
            write.Write.Abandoned(reason);
        }
        catch (Exception exception)
        {
            _logger.LogError(exception, "Forgetting the dropped write {Key} failed", write.Key);
        }
    }

    /// <summary>Whether the database stores a write at all: a row of its own, rewritten, so that a page is written as a document's would be.</summary>
    private async Task<bool> CanCommitAsync()
    {
        try
        {
            using var writing = await _database.EnterWriteAsync().ConfigureAwait(false);
            var connection = writing.Connection;
            using var transaction = connection.BeginTransaction();
            var probe = connection.Prepared("INSERT OR REPLACE INTO write_probe (id, at) VALUES (1, $at)");
            probe.Transaction = transaction;
            probe.Parameters.AddWithValue("$at", DateTime.UtcNow.Ticks);
            probe.ExecuteNonQuery();
            transaction.Commit();
            return true;
        }
        catch (Exception exception) when (exception is SqliteException or IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Prepares and writes <paramref name="count"/> writes from <paramref name="start"/> in one transaction (or a few,
    /// when urgent writers come meanwhile), telling each it is committed as its transaction commits.
    /// </summary>
    private async Task CommitAsync(Pending[] pending, Outcome[] outcomes, int start, int count)
    {
        for (var i = start; i < start + count; i++)
        {
            try
            {
                pending[i].Write.Prepare();
            }
            catch (Exception exception)
            {
                throw new PreparationFailedException(exception);
            }
        }

        var next = start;
        while (next < start + count)
        {
            var from = next;
            using (var writing = await _database.EnterWriteAsync(resuming: from > start).ConfigureAwait(false))
            {
                var connection = writing.Connection;
                using var transaction = connection.BeginTransaction();
                // A write a caller waits on (a one-event post) does not wait for the rest of the transaction: once this
                // one has done its share, what is written commits, the turn goes to it, and the rest follows in another
                // transaction, ahead of the other writers waiting.
                do
                {
                    pending[next].Write.Write(connection, transaction);
                    next++;
                }
                while (next < start + count && (next - from < WritesBeforeGivingWay || !_database.UrgentWriterWaiting));

                transaction.Commit();
            }

            Committed(pending, outcomes, from, next - from);
        }
    }

    /// <summary>Records <paramref name="count"/> writes from <paramref name="start"/> as stored, and tells each.</summary>
    private void Committed(Pending[] pending, Outcome[] outcomes, int start, int count)
    {
        for (var i = start; i < start + count; i++)
        {
            outcomes[i] = Outcome.Committed;
        }

        lock (_lock)
        {
            for (var i = start; i < start + count && _failedAlone.Count > 0; i++)
            {
                _failedAlone.Remove(pending[i].Key);
            }
        }

        for (var i = start; i < start + count; i++)
        {
            try
            {
                pending[i].Write.Committed();
            }
            catch (Exception exception)
            {
                // Stored all the same: it must not be written again nor dropped.
                _logger.LogError(exception, "After storing the deferred write {Key}, updating memory failed", pending[i].Key);
            }
        }
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                await FlushQuietlyAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private async Task FlushQuietlyAsync()
    {
        try
        {
            await FlushAsync().ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            // Nothing is lost: the writes wait for the next flush, and the messages they came from stay queued. But
            // nothing becomes durable either until the flush succeeds, hence an error.
            _logger.LogError(exception, "Flushing {Count} deferred writes failed; the next flush tries again", PendingCount);
        }
    }

    /// <param name="Abandonments">The drop count when it was deferred: one deferred after a drop is not the dropped write's batch's.</param>
    private sealed record Pending(string Key, int Stage, long Sequence, DeferredWrite Write, long Abandonments);

    private sealed class Release(SemaphoreSlim semaphore) : IDisposable
    {
        private SemaphoreSlim? _semaphore = semaphore;

        public void Dispose() => Interlocked.Exchange(ref _semaphore, null)?.Release();
    }
}
