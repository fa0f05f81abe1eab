using FuncRec.Application.Contracts;
using FuncRec.Application.Ports;
using FuncRec.Embedded;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FuncRec.Adapters.IntegrationTests.Embedded;

/// <summary>
/// The embedded stores writing behind (<see cref="SqliteWriteBehind"/>): what waits for a flush, what a flush
/// stores and in which order, and what a process that dies before one leaves for the next.
/// </summary>
public sealed class WriteBehindTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("funcrec-write-behind-");
    private readonly List<SqliteDatabase> _databases = [];

    /// <summary>A process's database writing behind; the interval is long, so only the test flushes.</summary>
    private (SqliteDatabase Database, SqliteUserStore Users, SqliteEventQueue Queue) Writer()
    {
        var database = Open();

        // Tests count flushes, not time: a write failing on its own is dropped after FailuresBeforeDropping of them.
        database.EnableWriteBehind(TimeSpan.FromHours(1)).FailingTimeBeforeDropping = TimeSpan.Zero;
        return (database, new SqliteUserStore(database, Options()), new SqliteEventQueue(database, Options(), TimeProvider.System));
    }

    /// <summary>What another process would find in the file: a store with nothing cached and nothing deferred.</summary>
    private (SqliteUserStore Users, SqliteEventQueue Queue) Reader()
    {
        var database = Open();
        return (new SqliteUserStore(database, Options()), new SqliteEventQueue(database, Options(), TimeProvider.System));
    }

    private SqliteDatabase Open()
    {
        var database = new SqliteDatabase(_directory.FullName);
        _databases.Add(database);
        return database;
    }

    private IOptions<EmbeddedOptions> Options() => Microsoft.Extensions.Options.Options.Create(new EmbeddedOptions { DataDirectory = _directory.FullName });

    /// <summary>The options of a process that shares the directory on purpose (no cache trusted, no writing behind).</summary>
    private IOptions<EmbeddedOptions> SharedOptions() => Microsoft.Extensions.Options.Options.Create(new EmbeddedOptions { DataDirectory = _directory.FullName, ExclusiveDataDirectory = false });

    private static UserDocument User(string id, long events) => new() { Id = id, EventCount = events, AppliedEventIds = [$"{id}-e{events}"], AppliedEventBatches = [1] };

    private static async Task<string?> WriteAsync(IUserStore users, UserDocument document, string? expectedETag)
        => (await users.TryWriteManyAsync([(document, expectedETag)], CancellationToken.None))[0];

    [Fact]
    public async Task A_batchs_documents_are_read_from_memory_until_a_flush_stores_them()
    {
        var (database, users, _) = Writer();

        Assert.Equal("1", await WriteAsync(users, User("u", 1), null));

        Assert.Equal(1, (await users.GetAsync("u", CancellationToken.None))!.Value.EventCount);
        Assert.Null(await Reader().Users.GetAsync("u", CancellationToken.None));

        await database.WriteBehind!.FlushAsync();

        var stored = await Reader().Users.GetAsync("u", CancellationToken.None);
        Assert.Equal(("1", 1L), (stored!.ETag, stored.Value.EventCount));
    }

    [Fact]
    public async Task A_user_written_several_times_before_a_flush_is_stored_once_as_the_newest()
    {
        var (database, users, _) = Writer();

        Assert.Equal("1", await WriteAsync(users, User("u", 1), null));
        Assert.Equal("2", await WriteAsync(users, User("u", 2), "1"));
        Assert.Equal("3", await WriteAsync(users, User("u", 3), "2"));
        Assert.Equal(1, database.WriteBehind!.PendingCount);

        await database.WriteBehind.FlushAsync();

        var stored = await Reader().Users.GetAsync("u", CancellationToken.None);
        Assert.Equal(("3", 3L), (stored!.ETag, stored.Value.EventCount));
        Assert.Equal(0, database.WriteBehind.PendingCount);
    }

    [Fact]
    public async Task Versions_are_compared_in_memory_so_a_stale_etag_loses_before_any_flush()
    {
        var (database, users, _) = Writer();
        await WriteAsync(users, User("u", 1), null);

        Assert.Equal("2", await WriteAsync(users, User("u", 2), "1"));
        Assert.Null(await WriteAsync(users, User("u", 99), "1"));
        Assert.Null(await WriteAsync(users, User("u", 99), null));

        await database.WriteBehind!.FlushAsync();
        Assert.Equal(2, (await Reader().Users.GetAsync("u", CancellationToken.None))!.Value.EventCount);

        // After the flush the version goes on from the stored one, whether memory still has it or not.
        Assert.Equal("3", await WriteAsync(users, User("u", 3), "2"));
    }

    [Fact]
    public async Task Writers_racing_on_one_user_while_flushes_run_lose_no_update_in_memory_or_on_disk()
    {
        var (database, users, _) = Writer();
        await WriteAsync(users, User("hot", 0), null);
        using var stop = new CancellationTokenSource();

        // After each flush the file holds at least the version that was newest when it began: the user's waiting write
        // is always their newest, never an older one deferred late over it.
        var disk = new SqliteUserStore(Open(), SharedOptions());
        var behindTheNewest = 0;
        var flushing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var newest = long.Parse((await users.GetAsync("hot", CancellationToken.None))!.ETag, System.Globalization.CultureInfo.InvariantCulture);
                await database.WriteBehind!.FlushAsync();
                if (long.Parse((await disk.GetAsync("hot", CancellationToken.None))!.ETag, System.Globalization.CultureInfo.InvariantCulture) < newest)
                {
                    behindTheNewest++;
                }
            }
        });

        // Each writer adds one event to the user's count, re-reading whenever another writer got there first.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var n = 0; n < 150; n++)
            {
                while (true)
                {
                    var current = (await users.GetAsync("hot", CancellationToken.None))!;
                    if (await WriteAsync(users, User("hot", current.Value.EventCount + 1), current.ETag) is not null)
                    {
                        break;
                    }
                }
            }
        })));
        await stop.CancelAsync();
        await flushing;
        await database.WriteBehind!.FlushAsync();

        Assert.Equal(0, behindTheNewest);
        Assert.Equal(1200, (await users.GetAsync("hot", CancellationToken.None))!.Value.EventCount);
        var stored = (await Reader().Users.GetAsync("hot", CancellationToken.None))!;
        Assert.Equal(("1201", 1200L), (stored.ETag, stored.Value.EventCount));
    }

    [Fact]
    public async Task A_single_write_is_stored_before_it_returns_with_what_waited_before_it()
    {
        var (_, users, _) = Writer();
        await WriteAsync(users, User("batch-user", 1), null);

        Assert.Equal("1", await users.TryWriteAsync(User("profile-user", 1), null, CancellationToken.None));

        var reader = Reader().Users;
        Assert.NotNull(await reader.GetAsync("profile-user", CancellationToken.None));
        Assert.NotNull(await reader.GetAsync("batch-user", CancellationToken.None));
    }

    [Fact]
    public async Task A_deleted_user_is_not_brought_back_by_a_write_that_waited()
    {
        var (database, users, _) = Writer();
        await users.TryWriteAsync(User("u", 1), null, CancellationToken.None);
        await WriteAsync(users, User("u", 2), "1");

        Assert.True(await users.DeleteAsync("u", CancellationToken.None));
        await database.WriteBehind!.FlushAsync();

        Assert.Null(await users.GetAsync("u", CancellationToken.None));
        Assert.Null(await Reader().Users.GetAsync("u", CancellationToken.None));

        // A user never flushed existed all the same.
        await WriteAsync(users, User("v", 1), null);
        Assert.True(await users.DeleteAsync("v", CancellationToken.None));
        Assert.False(await users.DeleteAsync("v", CancellationToken.None));
    }

    [Fact]
    public async Task A_completed_message_leaves_the_backlog_at_once_and_the_table_with_the_flush()
    {
        var (database, users, queue) = Writer();
        await queue.EnqueueAsync("""{"first":1}""", CancellationToken.None);
        await queue.EnqueueAsync("""{"second":2}""", CancellationToken.None);
        var message = Assert.Single(await queue.ReceiveAsync(1, TimeSpan.FromMinutes(5), CancellationToken.None));
        await WriteAsync(users, User("u", 1), null);

        await queue.CompleteAsync(message, CancellationToken.None);

        Assert.Equal(1, await queue.CountAsync(CancellationToken.None));
        Assert.Equal(2, await Reader().Queue.CountAsync(CancellationToken.None));

        await database.WriteBehind!.FlushAsync();

        Assert.Equal(1, await queue.CountAsync(CancellationToken.None));
        Assert.Equal(1, await Reader().Queue.CountAsync(CancellationToken.None));
        Assert.NotNull(await Reader().Users.GetAsync("u", CancellationToken.None));
    }

    [Fact]
    public async Task A_completion_is_never_stored_before_the_documents_deferred_ahead_of_it()
    {
        var (database, users, queue) = Writer();
        await queue.EnqueueAsync("""{"batch":1}""", CancellationToken.None);
        var message = Assert.Single(await queue.ReceiveAsync(1, TimeSpan.FromMinutes(5), CancellationToken.None));
        await WriteAsync(users, User("u", 1), null);
        var behind = database.WriteBehind!;
        await queue.CompleteAsync(message, CancellationToken.None);

        // The database stores nothing, not even the flush's probe row: its fault, not any one write's.
        Execute(database, """
            CREATE TRIGGER refuse_users BEFORE INSERT ON users BEGIN SELECT RAISE(ABORT, 'nothing can be stored'); END;
            CREATE TRIGGER refuse_probe BEFORE INSERT ON write_probe BEGIN SELECT RAISE(ABORT, 'nothing can be stored'); END;
            """);
        await FailingFlushesAsync(behind, SqliteWriteBehind.FailuresBeforeDropping + 1);

        // However often it fails: the message stays, nothing is dropped, and everything waits for the next flush.
        Assert.Equal(1, await Reader().Queue.CountAsync(CancellationToken.None));
        Assert.Equal(2, behind.PendingCount);
        Assert.Equal(0, behind.Abandonments);

        Execute(database, "DROP TRIGGER refuse_users; DROP TRIGGER refuse_probe;");
        await behind.FlushAsync();
        Assert.Equal(0, await Reader().Queue.CountAsync(CancellationToken.None));
        Assert.NotNull(await Reader().Users.GetAsync("u", CancellationToken.None));
    }

    [Fact]
    public async Task A_document_the_database_refuses_is_dropped_after_failing_alone_and_its_batch_is_delivered_again_without_blocking_the_rest()
    {
        var (database, users, queue) = Writer();
        var behind = database.WriteBehind!;
        Execute(database, "CREATE TRIGGER refuse_broken BEFORE INSERT ON users WHEN NEW.id = 'broken' BEGIN SELECT RAISE(ABORT, 'this user cannot be stored'); END");
        await WriteAsync(users, User("old", 1), null);
        await behind.FlushAsync();

        await queue.EnqueueAsync("""{"batch":1}""", CancellationToken.None);
        var message = Assert.Single(await queue.ReceiveAsync(1, TimeSpan.Zero, CancellationToken.None));
        var users300 = Enumerable.Range(0, 300).Select(i => User($"u{i:D3}", 1)).Append(User("broken", 1)).Append(User("old", 2));
        foreach (var user in users300)
        {
            await WriteAsync(users, user, user.Id == "old" ? "1" : null);
        }

        await queue.CompleteAsync(message, CancellationToken.None);

        // The first flushes store everyone else and keep the refused write and the completion after it waiting.
        for (var flush = 1; flush < SqliteWriteBehind.FailuresBeforeDropping; flush++)
        {
            var refused = await Assert.ThrowsAsync<SqliteException>(() => behind.FlushAsync());
            Assert.Contains("this user cannot be stored", refused.Message, StringComparison.Ordinal);
            Assert.Equal(2, behind.PendingCount);
            Assert.Equal(1, await Reader().Queue.CountAsync(CancellationToken.None));
        }

        Assert.NotNull(await Reader().Users.GetAsync("u000", CancellationToken.None));
        Assert.NotNull(await Reader().Users.GetAsync("u299", CancellationToken.None));
        Assert.Equal(2, (await Reader().Users.GetAsync("old", CancellationToken.None))!.Value.EventCount);

        // Then it is dropped: the flush succeeds, memory forgets the version, and the completion goes with it.
        await behind.FlushAsync();
        Assert.Equal(1, behind.Abandonments);
        Assert.Equal(0, behind.PendingCount);
        Assert.Null(await Reader().Users.GetAsync("broken", CancellationToken.None));
        Assert.Null(await users.GetAsync("broken", CancellationToken.None));
        Assert.Equal(1, await Reader().Queue.CountAsync(CancellationToken.None));

        // Later writes are stored by later flushes.
        await WriteAsync(users, User("c", 1), null);
        await behind.FlushAsync();
        Assert.NotNull(await Reader().Users.GetAsync("c", CancellationToken.None));

        // The batch comes again; its completion fails with the reason, which is how a consumer retries it and, in
        // the end, sends it to the poison queue.
        var again = Assert.Single(await queue.ReceiveAsync(1, TimeSpan.FromMinutes(5), CancellationToken.None));
        Assert.Equal(message.Id, again.Id);
        var retried = await Assert.ThrowsAsync<InvalidOperationException>(() => queue.CompleteAsync(again, CancellationToken.None));
        Assert.Contains("dropped", retried.Message, StringComparison.Ordinal);
        await queue.DeadLetterAsync(again, retried.Message, CancellationToken.None);
        Assert.Equal(0, await Reader().Queue.CountAsync(CancellationToken.None));

        // For a while the user's writes are refused, so that only the batches that touch them fail (and end in the
        // poison queue) instead of each new version holding back every completion again.
        var quarantined = await Assert.ThrowsAsync<InvalidOperationException>(() => WriteAsync(users, User("broken", 2), null));
        Assert.Contains("this user cannot be stored", quarantined.Message, StringComparison.Ordinal);
        Assert.Equal("1", await WriteAsync(users, User("d", 1), null));

        // Forgetting the user ends it at once (nothing of theirs was stored).
        Assert.False(await users.DeleteAsync("broken", CancellationToken.None));

        // A single write that ends up dropped (here in a newer version that took its place) is told so; and a version
        // number once dropped is never current again.
        var first = await WriteAsync(users, User("broken", 2), null);
        Assert.Equal("2", first);
        await Assert.ThrowsAsync<SqliteException>(() => behind.FlushAsync());
        await Assert.ThrowsAsync<SqliteException>(() => behind.FlushAsync());
        var single = await Assert.ThrowsAsync<InvalidOperationException>(() => users.TryWriteAsync(User("broken", 3), first, CancellationToken.None));
        Assert.Contains("this user cannot be stored", single.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => WriteAsync(users, User("broken", 4), null));
        users.QuarantineAfterDrop = TimeSpan.Zero;
        Assert.Equal("4", await WriteAsync(users, User("broken", 4), null));

        // Once the database takes the user, the waiting version is stored as usual.
        Execute(database, "DROP TRIGGER refuse_broken");
        await behind.FlushAsync();
        Assert.Equal(("4", 4L), ((await Reader().Users.GetAsync("broken", CancellationToken.None))!.ETag, (await Reader().Users.GetAsync("broken", CancellationToken.None))!.Value.EventCount));
    }

    [Fact]
    public async Task Completions_of_messages_in_hand_when_a_write_is_dropped_are_refused_even_when_deferred_during_that_flush()
    {
        var (database, users, queue) = Writer();
        var behind = database.WriteBehind!;
        await queue.EnqueueAsync("""{"batch":1}""", CancellationToken.None);
        await queue.EnqueueAsync("""{"batch":2}""", CancellationToken.None);
        var held = await queue.EnqueueHeldAsync("""{"held":1}""", TimeSpan.FromMinutes(5), CancellationToken.None);
        var messages = await queue.ReceiveAsync(2, TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.Equal(2, messages.Count);
        await WriteAsync(users, User("a", 1), null);
        behind.Defer("failing", SqliteUserStore.UserStage, new FailingWrite());
        await FailingFlushesAsync(behind, SqliteWriteBehind.FailuresBeforeDropping - 1);

        // During the flush that drops the failing write, a batch completes (as the consumer would, concurrently).
        behind.Defer("completing", SqliteUserStore.UserStage, new CallbackWrite(() => queue.CompleteAsync(messages[0], CancellationToken.None).GetAwaiter().GetResult()));
        await behind.FlushAsync();
        Assert.Equal(1, behind.Abandonments);
        Assert.Equal(0, behind.PendingCount);

        // That completion was dropped; the other message and the held one were in hand before the drop and are refused.
        await Assert.ThrowsAsync<InvalidOperationException>(() => queue.CompleteAsync(messages[0], CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => queue.CompleteAsync(messages[1], CancellationToken.None));
        await queue.RemoveHeldAsync(held, CancellationToken.None);
        Assert.Equal(0, behind.PendingCount);
        await behind.FlushAsync();
        Assert.Equal(3, QueueRows());
        Assert.NotNull(await Reader().Users.GetAsync("a", CancellationToken.None));

        // A message received after the drop completes as usual.
        await queue.EnqueueAsync("""{"batch":3}""", CancellationToken.None);
        var later = (await queue.ReceiveAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None)).Single(m => m.Body.Contains("\"batch\":3", StringComparison.Ordinal));
        await queue.CompleteAsync(later, CancellationToken.None);
        await behind.FlushAsync();
        Assert.Equal(3, QueueRows());
    }

    /// <summary>Flushes, each of which must fail (a write waits), as many as <paramref name="flushes"/>.</summary>
    private static async Task FailingFlushesAsync(SqliteWriteBehind behind, int flushes)
    {
        for (var flush = 0; flush < flushes; flush++)
        {
            await Assert.ThrowsAsync<SqliteException>(() => behind.FlushAsync());
        }
    }

    /// <summary>Rows in the queue table, held ones included, as the file holds them.</summary>
    private long QueueRows()
    {
        using var connection = Open().Open();
        var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM queue";
        return (long)command.ExecuteScalar()!;
    }

    private static void Execute(SqliteDatabase database, string sql)
    {
        using var writing = database.EnterWriteAsync().AsTask().GetAwaiter().GetResult();
        writing.Connection.Execute(sql);
    }

    [Fact]
    public async Task A_write_failing_on_its_own_is_dropped_only_after_failing_in_flushes_in_a_row_over_two_intervals()
    {
        var (database, users, _) = Writer();
        var behind = database.WriteBehind!;
        behind.FailingTimeBeforeDropping = TimeSpan.FromHours(2);
        behind.Defer("failing", SqliteUserStore.UserStage, new FailingWrite());
        await WriteAsync(users, User("a", 1), null);

        // Many flushes within moments (single writes and dead-letterings flush too): it waits, not dropped.
        await FailingFlushesAsync(behind, 2 * SqliteWriteBehind.FailuresBeforeDropping);

        Assert.Equal(0, behind.Abandonments);
        Assert.Equal(1, behind.PendingCount);
        Assert.NotNull(await Reader().Users.GetAsync("a", CancellationToken.None));

        // A write that fails, then is stored, starts counting afresh if it fails again.
        behind.FailingTimeBeforeDropping = TimeSpan.Zero;
        behind.Cancel("failing");
        behind.Defer("flaky", SqliteUserStore.UserStage, new FailingWrite());
        await WriteAsync(users, User("b", 1), null);
        await Assert.ThrowsAsync<SqliteException>(() => behind.FlushAsync());
        behind.Defer("flaky", SqliteUserStore.UserStage, new CallbackWrite(() => { }));
        await behind.FlushAsync();
        behind.Defer("flaky", SqliteUserStore.UserStage, new FailingWrite());
        await WriteAsync(users, User("c", 1), null);
        await FailingFlushesAsync(behind, SqliteWriteBehind.FailuresBeforeDropping - 1);

        Assert.Equal(0, behind.Abandonments);
        await behind.FlushAsync();
        Assert.Equal(1, behind.Abandonments);
    }

    [Fact]
    public async Task A_single_write_taken_over_by_a_newer_version_before_its_flush_succeeds_once_that_one_is_stored()
    {
        var (database, users, _) = Writer();
        var behind = database.WriteBehind!;
        behind.Defer("failing", SqliteUserStore.UserStage, new FailingWrite());

        // The single write waits for its flush; meanwhile a batch writes a newer version of the user over it.
        Task<string?> single;
        using (await behind.HoldFlushesAsync())
        {
            single = users.TryWriteAsync(User("u", 1), null, CancellationToken.None);
            Assert.Equal("2", await WriteAsync(users, User("u", 2), "1"));
        }

        // The flush fails (for the other write), but the newer version, which holds this one, is stored.
        Assert.Equal("1", await single);
        Assert.Equal(2, (await Reader().Users.GetAsync("u", CancellationToken.None))!.Value.EventCount);
        Assert.Equal(1, behind.PendingCount);
        behind.Cancel("failing");
    }

    [Fact]
    public async Task Memory_forgets_a_dropped_write_before_the_drop_is_counted()
    {
        // A message received once the drop is counted may complete; by then nothing it reads can be the dropped write.
        var (database, users, _) = Writer();
        var behind = database.WriteBehind!;
        var failing = new FailingWrite { OnDropped = () => behind.Abandonments };
        behind.Defer("failing", SqliteUserStore.UserStage, failing);
        await WriteAsync(users, User("a", 1), null);
        await FailingFlushesAsync(behind, SqliteWriteBehind.FailuresBeforeDropping - 1);

        await behind.FlushAsync();

        Assert.Equal(0, failing.SeenWhenDropped);
        Assert.Equal(1, behind.Abandonments);
    }

    [Fact]
    public async Task A_single_write_that_is_stored_succeeds_while_another_write_waits_and_a_full_database_drops_nothing()
    {
        var (database, users, _) = Writer();
        var behind = database.WriteBehind!;
        behind.Defer("failing", SqliteUserStore.UserStage, new FailingWrite());

        Assert.Equal("1", await users.TryWriteAsync(User("profile", 1), null, CancellationToken.None));
        Assert.NotNull(await Reader().Users.GetAsync("profile", CancellationToken.None));
        behind.Cancel("failing");

        // The database fills up in the middle of a flush: the first transaction is stored, the rest waits, whatever
        // the number of flushes, and nothing is dropped.
        // The first transaction's 256 documents are small; the 44 after them large (~40 KB each).
        var big = Enumerable.Range(0, 300).Select(i => i < SqliteWriteBehind.WritesPerTransaction ? User($"big{i:D3}", 1) : new UserDocument
        {
            Id = $"big{i:D3}",
            EventCount = 1,
            AppliedEventIds = [.. Enumerable.Range(0, 200).Select(e => $"big{i:D3}-event-{e:D4}-{new string('x', 180)}")],
        }).ToArray();
        foreach (var user in big)
        {
            await WriteAsync(users, user, null);
        }

        long pages;
        using (var connection = Open().Open())
        {
            var count = connection.CreateCommand();
            count.CommandText = "PRAGMA page_count";
            pages = (long)count.ExecuteScalar()!;
        }

        // Room for the small ones (~100 pages), not for ~1.7 MB more.
        Execute(database, $"PRAGMA max_page_count = {pages + 100}");
        for (var flush = 0; flush < 2 * SqliteWriteBehind.FailuresBeforeDropping; flush++)
        {
            var full = await Assert.ThrowsAsync<SqliteException>(() => behind.FlushAsync());
            Assert.Equal(13, full.SqliteErrorCode);
        }

        Assert.Equal(0, behind.Abandonments);
        Assert.NotNull(await Reader().Users.GetAsync("big000", CancellationToken.None));
        Assert.Null(await Reader().Users.GetAsync("big299", CancellationToken.None));
        Assert.Equal(300 - SqliteWriteBehind.WritesPerTransaction, behind.PendingCount);

        Execute(database, "PRAGMA max_page_count = 1073741823");
        await behind.FlushAsync();
        Assert.NotNull(await Reader().Users.GetAsync("big299", CancellationToken.None));
    }

    [Fact]
    public async Task What_a_dead_process_had_not_flushed_is_delivered_again_at_once_by_the_next()
    {
        var (database, users, queue) = Writer();
        await queue.EnqueueAsync("""{"batch":1}""", CancellationToken.None);
        var held = await queue.EnqueueHeldAsync("""{"held":1}""", TimeSpan.FromMinutes(5), CancellationToken.None);
        var message = Assert.Single(await queue.ReceiveAsync(1, TimeSpan.FromMinutes(5), CancellationToken.None));
        await WriteAsync(users, User("u", 1), null);
        await queue.CompleteAsync(message, CancellationToken.None);
        await queue.RemoveHeldAsync(held, CancellationToken.None);

        // The process dies here: nothing is flushed. The next one, alone in the directory, receives both messages at
        // once (not when their visibility or hold ends) and finds no document: the batch will be applied again.
        database.AbandonClaim();
        var next = Open();
        var nextQueue = new SqliteEventQueue(next, Options(), TimeProvider.System);
        var redelivered = await nextQueue.ReceiveAsync(10, TimeSpan.FromMinutes(5), CancellationToken.None);

        Assert.Equal(["""{"batch":1}""", """{"held":1}"""], redelivered.Select(m => m.Body));
        Assert.Null(await new SqliteUserStore(next, Options()).GetAsync("u", CancellationToken.None));
    }

    [Fact]
    public async Task A_second_process_cannot_write_or_receive_in_a_claimed_directory_until_the_first_is_disposed()
    {
        var (database, users, queue) = Writer();
        await WriteAsync(users, User("u", 1), null);
        await queue.EnqueueAsync("""{"batch":1}""", CancellationToken.None);

        // Another process (its own database object: its own lock file handle) may read and enqueue, but not write users
        // or receive: its cache, or its recovery of "a dead process's" messages, would be wrong beside the first.
        var (otherUsers, otherQueue) = Reader();
        Assert.Null(await otherUsers.GetAsync("u", CancellationToken.None));
        await otherQueue.EnqueueAsync("""{"batch":2}""", CancellationToken.None);
        var refused = await Assert.ThrowsAsync<DataDirectoryClaimException>(() => otherUsers.TryWriteAsync(User("v", 1), null, CancellationToken.None));
        Assert.Contains(_directory.FullName, refused.Message);
        Assert.Contains("ExclusiveDataDirectory", refused.Message);
        Assert.True(refused.HeldByAnotherProcess);
        await Assert.ThrowsAsync<DataDirectoryClaimException>(() => otherQueue.ReceiveAsync(1, TimeSpan.FromMinutes(1), CancellationToken.None));
        await Assert.ThrowsAsync<DataDirectoryClaimException>(() => otherUsers.DeleteAsync("u", CancellationToken.None));

        // Nor one that shares the directory on purpose: the first one's memory would still be wrong.
        var shared = new SqliteUserStore(Open(), SharedOptions());
        await Assert.ThrowsAsync<DataDirectoryClaimException>(() => shared.TryWriteManyAsync([(User("w", 1), null)], CancellationToken.None));

        // Disposed, the first has stored what it held and lets go: the next one takes over.
        await database.DisposeAsync();
        var (nextUsers, nextQueue) = Reader();
        Assert.Equal(1, (await nextUsers.GetAsync("u", CancellationToken.None))!.Value.EventCount);
        Assert.NotNull(await nextUsers.TryWriteAsync(User("v", 1), null, CancellationToken.None));
        Assert.Equal(2, (await nextQueue.ReceiveAsync(10, TimeSpan.FromMinutes(1), CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Processes_that_share_a_directory_claim_it_together_and_keep_out_one_that_would_be_alone()
    {
        var first = new SqliteUserStore(Open(), SharedOptions());
        var second = new SqliteUserStore(Open(), SharedOptions());
        Assert.NotNull(await first.TryWriteAsync(User("a", 1), null, CancellationToken.None));
        Assert.NotNull(await second.TryWriteAsync(User("b", 1), null, CancellationToken.None));

        var (alone, aloneQueue) = Reader();
        await Assert.ThrowsAsync<DataDirectoryClaimException>(() => alone.TryWriteAsync(User("c", 1), null, CancellationToken.None));
        await Assert.ThrowsAsync<DataDirectoryClaimException>(() => aloneQueue.ReceiveAsync(1, TimeSpan.FromMinutes(1), CancellationToken.None));
    }

    [Fact]
    public async Task A_claim_that_fails_for_another_reason_than_another_process_says_so()
    {
        // The lock file's name taken by a directory: no process holds anything, and stopping one would not help.
        Directory.CreateDirectory(Path.Combine(_directory.FullName, SqliteDatabase.ClaimFileName));
        var (users, _) = Reader();

        var refused = await Assert.ThrowsAsync<DataDirectoryClaimException>(() => users.TryWriteAsync(User("u", 1), null, CancellationToken.None));

        Assert.False(refused.HeldByAnotherProcess);
        Assert.DoesNotContain("another process", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stopped_write_behind_has_flushed_and_stores_later_writes_on_its_own()
    {
        var (database, users, _) = Writer();
        await WriteAsync(users, User("u", 1), null);

        await database.WriteBehind!.StopAsync();
        Assert.NotNull(await Reader().Users.GetAsync("u", CancellationToken.None));

        await WriteAsync(users, User("late", 1), null);
        await Eventually(async () => await Reader().Users.GetAsync("late", CancellationToken.None) is not null);
    }

    [Fact]
    public async Task Stores_set_to_write_behind_by_configuration_are_flushed_when_their_service_provider_is_disposed()
    {
        // As an import does: events applied through the stores without the host's services running.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"{EmbeddedOptions.Section}:DataDirectory"] = _directory.FullName, [$"{EmbeddedOptions.Section}:WriteBehindMilliseconds"] = "60000" })
            .Build();
        var services = new ServiceCollection().AddSingleton(TimeProvider.System).AddFuncRecEmbeddedStores(configuration).BuildServiceProvider();
        var users = services.GetRequiredService<IUserStore>();
        Assert.NotNull(services.GetRequiredService<SqliteDatabase>().WriteBehind);

        await WriteAsync(users, User("imported", 1), null);
        Assert.Null(await Reader().Users.GetAsync("imported", CancellationToken.None));

        await services.DisposeAsync();

        Assert.NotNull(await Reader().Users.GetAsync("imported", CancellationToken.None));
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("The late write was never stored.");
    }

    /// <summary>A write that runs <paramref name="action"/> when it is written (what happens meanwhile elsewhere).</summary>
    private sealed class CallbackWrite(Action action) : DeferredWrite
    {
        public override void Write(PooledConnection connection, SqliteTransaction transaction) => action();
    }

    /// <summary>A write that the database refuses for what it is (a constraint it breaks), whatever else is written.</summary>
    private sealed class FailingWrite : DeferredWrite
    {
        /// <summary>Read when the write is dropped (what the world looks like at that moment).</summary>
        public Func<long>? OnDropped { get; init; }

        public long? SeenWhenDropped { get; private set; }

        public override void Abandoned(Exception reason) => SeenWhenDropped = OnDropped?.Invoke();

        public override void Write(PooledConnection connection, SqliteTransaction transaction)
        {
            var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO users (id, doc, version) VALUES ('failing', NULL, 1)";
            command.ExecuteNonQuery();
        }
    }

    public void Dispose()
    {
        foreach (var database in _databases)
        {
            database.WriteBehind?.StopAsync().GetAwaiter().GetResult();
            database.AbandonClaim();
            database.ReleaseConnections();
        }

        _directory.Delete(recursive: true);
    }
}
