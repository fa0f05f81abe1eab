using FuncRec.Application.Ports;
using FuncRec.Embedded;
using Microsoft.Data.Sqlite;

namespace FuncRec.Adapters.IntegrationTests.Embedded;

/// <summary>
/// The embedded database's write turn: writes a caller waits on in the request (<see cref="CallerWaiting"/>) go before
/// queued background writes, never starving them, and a flush of deferred writes lets such a write in mid-way.
/// </summary>
public sealed class WriteGateTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("funcrec-write-gate-");

    [Fact]
    public async Task A_waiting_caller_is_let_in_before_writers_that_queued_earlier()
    {
        var gate = new WriteGate();
        var order = new List<string>();
        await gate.EnterAsync(urgent: false);

        var background = Enter(gate, "background", urgent: false, order);
        var urgent = Enter(gate, "urgent", urgent: true, order);
        Assert.True(gate.UrgentWaiting);
        gate.Exit();
        await Task.WhenAll(background, urgent).WaitAsync(Patience);

        Assert.Equal(new[] { "urgent", "background" }, order);
        Assert.False(gate.UrgentWaiting);
    }

    [Fact]
    public async Task Urgent_writers_pass_a_waiting_writer_only_so_many_in_a_row()
    {
        var gate = new WriteGate();
        var order = new List<string>();
        await gate.EnterAsync(urgent: false);

        var entries = new List<Task> { Enter(gate, "background", urgent: false, order) };
        entries.AddRange(Enumerable.Range(0, WriteGate.UrgentInARow + 2).Select(i => Enter(gate, $"urgent-{i}", urgent: true, order)));
        gate.Exit();
        await Task.WhenAll(entries).WaitAsync(Patience);

        Assert.Equal(WriteGate.UrgentInARow, order.IndexOf("background"));
        Assert.Equal(WriteGate.UrgentInARow + 3, order.Count);
    }

    [Fact]
    public async Task A_flush_commits_what_it_has_written_and_lets_a_waiting_caller_in_before_the_rest()
    {
        var database = new SqliteDatabase(_directory.FullName);
        var behind = database.EnableWriteBehind(TimeSpan.FromHours(1));
        var order = new List<string>();
        var writes = Enumerable.Range(0, SqliteWriteBehind.WritesBeforeGivingWay + 8).Select(i => $"w{i:D2}").ToArray();

        var (flush, urgent) = await FlushWithACallerWaitingAtItsFirstWriteAsync(database, behind, writes, order, refused: null);
        await Task.WhenAll(flush, urgent).WaitAsync(Patience);

        // The flush made its share of writes, committed them, let the caller write, then stored the rest; each write
        // was written and committed once.
        var givingWay = SqliteWriteBehind.WritesBeforeGivingWay;
        Assert.Equal((2 * writes.Length) + 1, order.Count);
        Assert.InRange(order.IndexOf("urgent"), order.IndexOf($"write {writes[givingWay - 1]}") + 1, order.IndexOf($"write {writes[givingWay]}") - 1);
        Assert.True(order.IndexOf($"committed {writes[givingWay - 1]}") < order.IndexOf($"write {writes[givingWay]}"), string.Join(", ", order));
        Assert.All(writes, name => Assert.Single(order, $"committed {name}"));
        await behind.StopAsync();
        database.ReleaseConnections();
    }

    [Fact]
    public async Task Under_a_stream_of_waiting_callers_a_flush_still_stores_its_share_of_writes_per_turn()
    {
        var database = new SqliteDatabase(_directory.FullName);
        var behind = database.EnableWriteBehind(TimeSpan.FromHours(1));
        var order = new List<string>();
        var writes = Enumerable.Range(0, 100).Select(i => $"w{i:D3}").ToArray();
        foreach (var name in writes)
        {
            behind.Defer(name, 0, new RecordingWrite(name, order, pause: TimeSpan.FromMilliseconds(1)));
        }

        using var stop = new CancellationTokenSource();
        var callers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await UrgentWriteAsync(database, order);
            }
        })).ToArray();
        await Eventually(() => { lock (order) { return order.Contains("urgent"); } }, "the callers to start writing");

        await behind.FlushAsync().WaitAsync(Patience);
        await stop.CancelAsync();
        await Task.WhenAll(callers).WaitAsync(Patience);

        // Runs of writes between the callers' turns: each flush turn but the last made at least its share.
        List<string> seen;
        lock (order)
        {
            seen = [.. order];
        }

        var runs = new List<int>();
        var run = 0;
        foreach (var entry in seen.Where(e => e == "urgent" || e.StartsWith("write ", StringComparison.Ordinal)))
        {
            if (entry == "urgent")
            {
                if (run > 0)
                {
                    runs.Add(run);
                }

                run = 0;
            }
            else
            {
                run++;
            }
        }

        if (run > 0)
        {
            runs.Add(run);
        }

        Assert.Equal(writes.Length, runs.Sum());
        Assert.All(runs.SkipLast(1), length => Assert.True(length >= SqliteWriteBehind.WritesBeforeGivingWay, $"runs of writes: {string.Join(", ", runs)}"));
        database.ReleaseConnections();
    }

    [Fact]
    public async Task A_write_failing_after_the_flush_gave_way_is_judged_alone_and_the_committed_ones_are_not_written_again()
    {
        var database = new SqliteDatabase(_directory.FullName);
        var behind = database.EnableWriteBehind(TimeSpan.FromHours(1));
        var order = new List<string>();
        var givingWay = SqliteWriteBehind.WritesBeforeGivingWay;
        var writes = Enumerable.Range(0, givingWay + 8).Select(i => i == givingWay + 1 ? "bad" : $"w{i:D2}").ToArray();

        // The bad one is refused in the flush's transaction and again alone, and stored by the next flush.
        var (flush, urgent) = await FlushWithACallerWaitingAtItsFirstWriteAsync(database, behind, writes, order, refused: "bad");
        await urgent.WaitAsync(Patience);
        var refused = await Assert.ThrowsAsync<SqliteException>(() => flush.WaitAsync(Patience));
        Assert.Equal(19, refused.SqliteErrorCode);

        Assert.All(writes.Where(name => name != "bad"), name => Assert.Single(order, $"committed {name}"));
        Assert.DoesNotContain("committed bad", order);
        Assert.Equal(1, behind.PendingCount);

        await behind.FlushAsync();
        Assert.Single(order, "committed bad");
        await behind.StopAsync();
        database.ReleaseConnections();
    }

    [Fact]
    public async Task Flushes_started_by_a_caller_waiting_do_not_take_its_urgency_with_them()
    {
        var database = new SqliteDatabase(_directory.FullName);
        var behind = database.EnableWriteBehind(TimeSpan.FromMilliseconds(20));
        var order = new List<string>();
        var held = await database.EnterWriteAsync();
        using (CallerWaiting.Begin())
        {
            // The first write deferred starts the flush loop, here from a request's context.
            behind.Defer("late", 0, new RecordingWrite("late", order));
        }

        // The loop's flush waits for the turn, as a background writer.
        await Eventually(() => database.WritersWaiting == 1, "the flush to wait for the turn");
        Assert.False(database.UrgentWriterWaiting);

        held.Dispose();
        await Eventually(() => { lock (order) { return order.Contains("committed late"); } }, "the flush to store the write");
        await behind.StopAsync();
        database.ReleaseConnections();
    }

    /// <summary>
    /// Defers <paramref name="writes"/> and starts a flush of them; while it is inside the first write (holding the
    /// turn), a caller comes to write urgently, and once it waits the flush goes on. <paramref name="refused"/> names a
    /// write the database refuses twice (in the flush's transaction and alone).
    /// </summary>
    private static async Task<(Task Flush, Task Urgent)> FlushWithACallerWaitingAtItsFirstWriteAsync(
        SqliteDatabase database, SqliteWriteBehind behind, string[] writes, List<string> order, string? refused)
    {
        var firstWriting = new ManualResetEventSlim();
        var letFirstFinish = new ManualResetEventSlim();
        behind.Defer(writes[0], 0, new RecordingWrite(writes[0], order, firstWriting, letFirstFinish));
        foreach (var name in writes.Skip(1))
        {
            behind.Defer(name, 0, new RecordingWrite(name, order, refusals: name == refused ? 2 : 0));
        }

        try
        {
            var flush = Task.Run(() => behind.FlushAsync());
            Assert.True(firstWriting.Wait(Patience), "the flush did not start writing");
            var urgent = UrgentWriteAsync(database, order);
            await Eventually(() => database.UrgentWriterWaiting, "the urgent writer to wait");
            return (flush, urgent);
        }
        finally
        {
            // Never left blocked, whatever failed; the events are not disposed, as the flush may still read them.
            letFirstFinish.Set();
        }
    }

    private static async Task UrgentWriteAsync(SqliteDatabase database, List<string> order)
    {
        await Task.Yield();
        using (CallerWaiting.Begin())
        {
            using var writing = await database.EnterWriteAsync();
            lock (order)
            {
                order.Add("urgent");
            }
        }
    }

    private static Task Enter(WriteGate gate, string name, bool urgent, List<string> order)
    {
        var entered = gate.EnterAsync(urgent);
        return entered.ContinueWith(
            _ =>
            {
                lock (order)
                {
                    order.Add(name);
                }

                gate.Exit();
            },
            TaskScheduler.Default);
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(5);
        }
    }

    /// <summary>
    /// A deferred write that records when it is written and committed; it can block inside its write (holding the
    /// turn), take a while, or be refused by the database a number of times first.
    /// </summary>
    private sealed class RecordingWrite(string name, List<string> order, ManualResetEventSlim? writing = null, ManualResetEventSlim? proceed = null, TimeSpan pause = default, int refusals = 0) : DeferredWrite
    {
        private int _refusals = refusals;

        public override void Write(PooledConnection connection, SqliteTransaction transaction)
        {
            Record($"write {name}");
            writing?.Set();
            proceed?.Wait(Patience);
            if (pause > TimeSpan.Zero)
            {
                Thread.Sleep(pause);
            }

            if (_refusals > 0)
            {
                _refusals--;
                throw new SqliteException($"{name} is refused", 19);
            }

            var command = connection.Prepared("INSERT OR REPLACE INTO write_probe (id, at) VALUES (1, $at)");
            command.Transaction = transaction;
            command.Parameters.AddWithValue("$at", DateTime.UtcNow.Ticks);
            command.ExecuteNonQuery();
        }

        public override void Committed() => Record($"committed {name}");

        private void Record(string what)
        {
            lock (order)
            {
                order.Add(what);
            }
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
    }
}
