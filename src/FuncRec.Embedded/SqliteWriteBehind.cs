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
/// </summary>
public sealed class SqliteWriteBehind
{
    /// <summary>Writes per flush transaction: the write turn is released between them, so enqueues never wait for a whole flush.</summary>
    public const int WritesPerTransaction = 256;

    private readonly SqliteDatabase _database;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private long _sequence;
    private Task? _loop;
    private bool _stopped;

    public SqliteWriteBehind(SqliteDatabase database, TimeSpan interval, ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _database = database;
        _interval = interval;
        _logger = logger ?? NullLogger.Instance;
    }

    public TimeSpan Interval => _interval;

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
    /// Holds <paramref name="write"/> for the next flush, in place of any write of the same key still waiting. Stages
    /// flush in order (a lower stage is committed before a higher one's first write); within a stage, in the order
    /// the writes were last deferred.
    /// </summary>
    public void Defer(string key, int stage, DeferredWrite write)
    {
        lock (_lock)
        {
            _pending[key] = new Pending(key, stage, ++_sequence, write);
            if (_stopped)
            {
                // After the host stopped, nothing flushes on a timer: each late write is flushed on its own.
                _ = Task.Run(() => FlushQuietlyAsync());
            }
            else
            {
                _loop ??= Task.Run(RunAsync);
            }
        }
    }

    /// <summary>Drops the waiting write of <paramref name="key"/>, if any (call while holding flushes, see <see cref="HoldFlushesAsync"/>).</summary>
    public void Cancel(string key)
    {
        lock (_lock)
        {
            _pending.Remove(key);
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
        var committed = 0;
        try
        {
            while (committed < pending.Length)
            {
                var count = Math.Min(WritesPerTransaction, pending.Length - committed);

                // A transaction never mixes stages: a later stage's writes wait until the earlier stage is committed.
                for (var i = 1; i < count; i++)
                {
                    if (pending[committed + i].Stage != pending[committed].Stage)
                    {
                        count = i;
                        break;
                    }
                }

                for (var i = committed; i < committed + count; i++)
                {
                    pending[i].Write.Prepare();
                }

                using (var writing = await _database.EnterWriteAsync().ConfigureAwait(false))
                {
                    var connection = writing.Connection;
                    using var transaction = connection.BeginTransaction();
                    for (var i = committed; i < committed + count; i++)
                    {
                        pending[i].Write.Write(connection, transaction);
                    }

                    transaction.Commit();
                }

                for (var i = committed; i < committed + count; i++)
                {
                    pending[i].Write.Committed();
                }

                committed += count;
            }
        }
        catch
        {
            lock (_lock)
            {
                for (var i = committed; i < pending.Length; i++)
                {
                    // A newer write of the key, deferred during the flush, replaces this one.
                    _pending.TryAdd(pending[i].Key, pending[i]);
                }
            }

            throw;
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

    private sealed record Pending(string Key, int Stage, long Sequence, DeferredWrite Write);

    private sealed class Release(SemaphoreSlim semaphore) : IDisposable
    {
        private SemaphoreSlim? _semaphore = semaphore;

        public void Dispose() => Interlocked.Exchange(ref _semaphore, null)?.Release();
    }
}
