using Microsoft.Data.Sqlite;

namespace FuncRec.Embedded;

/// <summary>
/// The one SQLite file behind the embedded stores. WAL journaling with synchronous=NORMAL: a committed
/// transaction survives the process being killed (it is in the WAL, which the OS holds), which is the durability
/// the local host promises; writers wait on each other up to the busy timeout instead of failing.
/// </summary>
public sealed class SqliteDatabase : IAsyncDisposable, IDisposable
{
    private readonly string _connectionString;
    private readonly System.Collections.Concurrent.ConcurrentBag<PooledConnection> _idle = [];

    public SqliteDatabase(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        DataDirectory = Path.GetFullPath(dataDirectory);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(DataDirectory, "funcrec.db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        using var connection = Open();
        // 4 KB pages: every user update reads its row's page, writes it to the log, and the checkpointer copies it
        // again, each a copy in the kernel. Binary user documents are 3–8 KB, one or two pages; the 16 KB pages
        // chosen when they were 5–14 KB of JSON made each update copy 16 KB four times. 4 KB pages gave more ingest
        // in 5 of 6 paired runs, a median +26 % (docs/benchmarks.md). Only takes effect when the database file is
        // new: an existing one keeps its page size (leaving WAL for a rollback journal, setting it and a VACUUM
        // change it).
        connection.Execute("PRAGMA page_size = 4096;");
        connection.Execute("""
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, doc TEXT NOT NULL, version INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, doc TEXT NOT NULL, updated INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS items_updated ON items (updated);
            CREATE TABLE IF NOT EXISTS queue (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, visible_at INTEGER NOT NULL, dequeue_count INTEGER NOT NULL, inserted_at INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS queue_visible ON queue (visible_at);
            CREATE TABLE IF NOT EXISTS poison (id INTEGER PRIMARY KEY, body TEXT NOT NULL, reason TEXT NOT NULL, dequeue_count INTEGER NOT NULL, failed_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS eventlog (seq INTEGER PRIMARY KEY AUTOINCREMENT, batch_id TEXT NOT NULL UNIQUE, body TEXT NOT NULL, events INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS pointers (name TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);
            """);
    }

    public string DataDirectory { get; }

    /// <summary>
    /// Flushes and stops the deferred writes, if this database writes behind: the service provider that made it
    /// disposes it, so a command that applies events without running the host's services (an import) stores them
    /// before it exits. Connections stay open for whoever still holds this object.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (WriteBehind is { } behind)
            {
                await behind.StopAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            // After the flush: another process may take the directory over once this one has stored what it held (or
            // failed to: what it held is then lost with it as with a crash, and redelivered to the next).
            lock (_claimGate)
            {
                _disposed = true;
            }

            AbandonClaim();

            // Else it would close whenever the collector finalizes it, on Windows keeping the directory from being deleted meanwhile.
            CloseSyncHandle(forGood: true);
        }
    }

    /// <summary>As <see cref="DisposeAsync"/>, for a service provider disposed synchronously.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>The deferred writes of this database, when it writes behind (<see cref="EnableWriteBehind"/>); null when every write is stored at once.</summary>
    public SqliteWriteBehind? WriteBehind { get; private set; }

    /// <summary>
    /// Lets the stores defer the writes that may wait (<see cref="SqliteWriteBehind"/>), flushed every
    /// <paramref name="interval"/>. Only for a process that owns the data directory alone: its cache is then the
    /// newest state, and what another process reads from the file may be an interval old.
    /// </summary>
    public SqliteWriteBehind EnableWriteBehind(TimeSpan interval, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        if (WriteBehind is not null)
        {
            throw new InvalidOperationException("This database already writes behind.");
        }

        WriteBehind = new SqliteWriteBehind(this, interval, logger);
        return WriteBehind;
    }

    /// <summary>The lock file in the data directory that the processes writing it hold (see <see cref="ClaimDataDirectory"/>).</summary>
    public const string ClaimFileName = "funcrec.lock";

    private readonly Lock _claimGate = new();
    private FileStream? _claim;
    private bool _disposed;

    /// <summary>
    /// Claims the data directory for writing: for this process alone when <paramref name="exclusive"/>
    /// (EmbeddedOptions.ExclusiveDataDirectory), else beside other processes that share it too. Fails with a
    /// <see cref="DataDirectoryClaimException"/> saying why when the claim conflicts with another process's; holds it
    /// until this database is disposed. A process that answers reads from its own memory, or writes behind, assumes
    /// no other process writes the file: a second one, say an import run into a served directory, would have its
    /// writes overwritten by a stale cache, or overwrite versions the first has not flushed yet. The stores claim at
    /// their first write or receive, not when the database opens, so a command that only reads or publishes models
    /// can still run beside a server. The claim is a lock on <see cref="ClaimFileName"/> (exclusive, or shared), which
    /// the OS drops when the process ends however it ends, so a killed server never leaves the directory claimed.
    /// The first claim of a database stands: its stores are made with one setting.
    /// </summary>
    public void ClaimDataDirectory(bool exclusive)
    {
        if (Volatile.Read(ref _claim) is not null)
        {
            return;
        }

        lock (_claimGate)
        {
            // After disposal nothing would let a new claim go again; a late write through a disposed database is not
            // protected (none is made: the host stops its writers first).
            if (_claim is not null || _disposed)
            {
                return;
            }

            var path = Path.Combine(DataDirectory, ClaimFileName);
            try
            {
                // On Unix .NET takes an advisory lock (flock) on every file it opens: exclusive for FileShare.None, shared
                // otherwise; on Windows the sharing modes conflict the same way. A conflicting open fails, in this
                // process or another.
                _claim = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, exclusive ? FileShare.None : FileShare.ReadWrite, bufferSize: 1);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A sharing conflict: EWOULDBLOCK from flock on Unix (11 on Linux, 35 on macOS and the BSDs; .NET gives the
                // raw errno as the HResult), a sharing or lock violation on Windows. Anything else (permissions, a full or
                // read-only disk, a path that is not a file) is not another process's doing.
                var heldByAnother = e is IOException && (OperatingSystem.IsWindows()
                    ? (e.HResult & 0xFFFF) is 32 or 33
                    : e.HResult == (OperatingSystem.IsLinux() ? 11 : 35));
                throw new DataDirectoryClaimException(DataDirectory, path, heldByAnother, e);
            }
        }
    }

    /// <summary>Lets the claim go without flushing anything, as the end of the process would (for tests that play a process dying).</summary>
    internal void AbandonClaim()
    {
        lock (_claimGate)
        {
            _claim?.Dispose();
            _claim = null;
        }
    }

    private readonly WriteGate _writeGate = new();

    /// <summary>
    /// Waits for this process's turn to write, and holds it until the result is disposed: SQLite admits one writer
    /// at a time and makes the others sleep and retry (1 ms, then longer), which under load costs far more than the
    /// write; queueing writers in-process instead keeps the hand-over immediate. The wait is asynchronous: a write
    /// (a batch of user documents) can hold the turn for milliseconds, and a spinning lock burnt a tenth of the
    /// server's CPU on the threads queued behind it. It is not cancellable, so a write that was begun is finished.
    /// Readers never take it (WAL lets them run beside the writer). The turn comes with the one connection every
    /// write uses (<see cref="WriteTurn.Connection"/>). Work a caller waits on in the request
    /// (<see cref="FuncRec.Application.Ports.CallerWaiting"/>) is let in first (<see cref="WriteGate"/>).
    /// </summary>
    public ValueTask<WriteTurn> EnterWriteAsync() => EnterWriteAsync(resuming: false);

    /// <summary>
    /// <see cref="EnterWriteAsync()"/> for a writer that gave the turn up part-way to let an urgent one in and now goes
    /// on (<paramref name="resuming"/>): it passes the other writers waiting, so that giving way does not send it to
    /// the back.
    /// </summary>
    internal async ValueTask<WriteTurn> EnterWriteAsync(bool resuming)
    {
        await _writeGate.EnterAsync(FuncRec.Application.Ports.CallerWaiting.IsActive, resuming).ConfigureAwait(false);
        try
        {
            _writer ??= OpenWriter();
        }
        catch
        {
            _writeGate.Exit();
            throw;
        }

        return new WriteTurn(_writeGate, _writer);
    }

    /// <summary>
    /// The connection all of this process's writes go through, with a page cache large enough for the pages they
    /// touch (<see cref="WriterCacheKilobytes"/>). Every user update reads its row's page first, and in a pooled
    /// connection that read went to the file: SQLite drops a connection's cache whenever another connection wrote
    /// since its last transaction, which under load is always. Only this connection writes, so its cache holds.
    /// </summary>
    private PooledConnection OpenWriter()
    {
        var writer = Open();
        writer.Execute($"PRAGMA cache_size = -{WriterCacheKilobytes};");
        writer.Dedicated = true;
        return writer;
    }

    /// <summary>The writer connection's page cache: the user documents of ~10,000 active users.</summary>
    public const int WriterCacheKilobytes = 64 * 1024;

    private PooledConnection? _writer;

    /// <summary>
    /// Whether a write a caller waits on is waiting for the turn: a writer holding it for long (a flush of deferred
    /// writes) commits what it has done and lets that one in first.
    /// </summary>
    public bool UrgentWriterWaiting => _writeGate.UrgentWaiting;

    /// <summary>Writers waiting for the turn (for tests).</summary>
    internal int WritersWaiting => _writeGate.Waiting;

    /// <summary>This process's turn to write the database, with the connection to write through (not to be disposed); disposing the turn lets the next writer in.</summary>
    public sealed class WriteTurn : IDisposable
    {
        private WriteGate? _gate;

        internal WriteTurn(WriteGate gate, PooledConnection connection)
        {
            _gate = gate;
            Connection = connection;
        }

        public PooledConnection Connection { get; }

        public void Dispose() => Interlocked.Exchange(ref _gate, null)?.Exit();
    }

    /// <summary>
    /// An open connection, set up once (WAL, synchronous=NORMAL, busy timeout) and reused with its prepared
    /// statements; disposing it returns it to the pool. One caller at a time.
    /// </summary>
    public PooledConnection Open()
    {
        if (_idle.TryTake(out var pooled))
        {
            return pooled;
        }

        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // Checkpoints are the background checkpointer's work (SqliteCheckpointer), off the writers' path; a writer
        // checkpoints only as a backstop, when the log has grown this large without one (a process with no host).
        Execute(connection, $"PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA wal_autocheckpoint = {BackstopCheckpointPages}; PRAGMA journal_size_limit = 134217728;");
        return new PooledConnection(connection, this);
    }

    /// <summary>How long a connection waits for SQLite's own locks (another process's writer, the checkpointer) before failing.</summary>
    private const int BusyTimeoutMilliseconds = 30_000;

    /// <summary>Log pages after which a writer checkpoints in its commit, if nothing checkpointed sooner (64 MB of 4 KB pages; 256 MB in files made with 16 KB pages).</summary>
    public const int BackstopCheckpointPages = 16384;

    /// <summary>
    /// Log pages after which a checkpoint also restarts the log: 32 MB of 4 KB pages, a quarter of the log it was with
    /// 16 KB pages, so the restart (writers held for one file sync) comes more often per update than it did.
    /// </summary>
    public const int RestartLogPages = 8192;

    /// <summary>
    /// Copies the log's committed pages into the database file beside the writers: a passive checkpoint takes no
    /// lock they need. Once the log holds <paramref name="restartLogPages"/> pages, it also copies, in a write turn,
    /// the pages committed meanwhile, waiting briefly for readers to leave the log, so that the next writer starts
    /// it again from its beginning (else it only grows while readers come and go). Run in a writer's commit instead,
    /// as SQLite does by default, a checkpoint held every other writer for tens of milliseconds every few hundred
    /// batches: half the write gate's time under ingest load.
    /// <para>
    /// The restart syncs the database file with writers held, and SQLite syncs it only in a checkpoint that copies
    /// the whole log: under steady writes, passive ones never do, so that sync used to carry every page copied since
    /// the last restart (up to the whole log) and held writers for 30–170 ms. The file is synced first from
    /// outside the turn (<see cref="TrySyncDatabaseFile"/>), twice with a passive checkpoint between, so the restart's
    /// own sync carries only what was committed in the last few milliseconds.
    /// </para>
    /// </summary>
    public async Task<CheckpointOutcome> CheckpointAsync(int restartLogPages = RestartLogPages)
    {
        using var connection = Open();
        var (logPages, copiedPages) = connection.Checkpoint("PASSIVE");
        if (logPages < restartLogPages)
        {
            return new CheckpointOutcome(logPages, copiedPages, TimeSpan.Zero);
        }

        if (TrySyncDatabaseFile())
        {
            connection.Checkpoint("PASSIVE");
            TrySyncDatabaseFile();
        }

        using var writing = await EnterWriteAsync();
        var held = System.Diagnostics.Stopwatch.StartNew();
        var writer = writing.Connection;
        writer.Execute("PRAGMA busy_timeout = 50;");
        try
        {
            (logPages, copiedPages) = writer.Checkpoint("RESTART");
        }
        finally
        {
            writer.Execute($"PRAGMA busy_timeout = {BusyTimeoutMilliseconds};");
        }

        return new CheckpointOutcome(logPages, copiedPages, held.Elapsed);
    }

    private readonly Lock _syncGate = new();
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _syncHandle;

    /// <summary>
    /// Forces the database file's written pages to disk, through a handle of this object's own; false if that failed
    /// (the restart's own sync then does it all, as before, so nothing is less durable). The handle stays open until
    /// this object is done with the file (<see cref="ReleaseConnections"/>, disposal): on POSIX systems closing any
    /// descriptor of a file drops every lock the process holds on it, SQLite's included, so it must not come and go.
    /// </summary>
    private bool TrySyncDatabaseFile()
    {
        lock (_syncGate)
        {
            if (_syncClosedForGood)
            {
                return false;
            }

            try
            {
                _syncHandle ??= File.OpenHandle(Path.Combine(DataDirectory, "funcrec.db"), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
                RandomAccess.FlushToDisk(_syncHandle);
                return true;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
    }

    /// <param name="forGood">Disposal: a checkpoint still running must not open it again.</param>
    private void CloseSyncHandle(bool forGood = false)
    {
        lock (_syncGate)
        {
            _syncHandle?.Dispose();
            _syncHandle = null;
            _syncClosedForGood |= forGood;
        }
    }

    private bool _syncClosedForGood;

    /// <summary>
    /// Flushes deferred writes, closes the writer's connection, after waiting for the write turn (so never call it
    /// inside one), and every idle connection, so that the database files can be copied or deleted; busy ones close when returned.
    /// </summary>
    public void ReleaseConnections()
    {
        WriteBehind?.FlushAsync().GetAwaiter().GetResult();
        _writeGate.EnterAsync(urgent: false).GetAwaiter().GetResult();
        try
        {
            Interlocked.Exchange(ref _writer, null)?.Close();
        }
        finally
        {
            _writeGate.Exit();
        }

        while (_idle.TryTake(out var connection))
        {
            connection.Close();
        }

        SqliteConnection.ClearAllPools();
        CloseSyncHandle();
    }

    internal void Return(PooledConnection connection)
    {
        // A handful of idle connections covers the host's concurrency; beyond that, close.
        if (_idle.Count < 32)
        {
            _idle.Add(connection);
        }
        else
        {
            connection.Close();
        }
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

/// <summary>A pooled connection with a cache of prepared statements; dispose to return it.</summary>
public sealed class PooledConnection : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteDatabase _owner;
    private readonly Dictionary<string, SqliteCommand> _prepared = new(StringComparer.Ordinal);

    internal PooledConnection(SqliteConnection connection, SqliteDatabase owner)
    {
        _connection = connection;
        _owner = owner;
    }

    public SqliteCommand CreateCommand() => _connection.CreateCommand();

    public SqliteTransaction BeginTransaction() => _connection.BeginTransaction();

    public void Execute(string sql) => SqliteDatabase.Execute(_connection, sql);

    /// <summary>A prepared command for <paramref name="sql"/>, reused across calls on this connection (parameters cleared).</summary>
    public SqliteCommand Prepared(string sql)
    {
        if (!_prepared.TryGetValue(sql, out var command))
        {
            command = _connection.CreateCommand();
            command.CommandText = sql;
            _prepared[sql] = command;
        }

        command.Parameters.Clear();
        command.Transaction = null;
        return command;
    }

    /// <summary>A checkpoint of the given mode (PASSIVE, RESTART); returns the log's pages and those copied.</summary>
    public (long LogPages, long CopiedPages) Checkpoint(string mode)
    {
        var command = Prepared($"PRAGMA wal_checkpoint({mode})");
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(1), reader.GetInt64(2)) : (0, 0);
    }

    /// <summary>The writer's connection (<see cref="SqliteDatabase.WriteTurn.Connection"/>): disposing it does nothing, so it never joins the pool.</summary>
    internal bool Dedicated { get; set; }

    public void Dispose()
    {
        if (!Dedicated)
        {
            _owner.Return(this);
        }
    }

    internal void Close()
    {
        foreach (var command in _prepared.Values)
        {
            command.Dispose();
        }

        _connection.Dispose();
    }
}
