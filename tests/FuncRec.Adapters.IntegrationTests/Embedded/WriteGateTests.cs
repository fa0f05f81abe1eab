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
        using var firstWriting = new ManualResetEventSlim();
        using var letFirstFinish = new ManualResetEventSlim();
        behind.Defer("first", 0, new RecordingWrite("first", order, firstWriting, letFirstFinish));
        behind.Defer("second", 0, new RecordingWrite("second", order));
        behind.Defer("third", 0, new RecordingWrite("third", order));

        var flush = Task.Run(() => behind.FlushAsync());
        Assert.True(firstWriting.Wait(Patience), "the flush did not start writing");
        var urgent = Task.Run(async () =>
        {
            using (CallerWaiting.Begin())
            {
                using var writing = await database.EnterWriteAsync();
                lock (order)
                {
                    order.Add("urgent");
                }
            }
        });
        await Eventually(() => database.UrgentWriterWaiting, "the urgent writer to wait");
        letFirstFinish.Set();
        await Task.WhenAll(flush, urgent).WaitAsync(Patience);

        // The first write committed on its own, the caller wrote next, and the rest followed in another transaction.
        Assert.Equal(7, order.Count);
        Assert.InRange(order.IndexOf("urgent"), order.IndexOf("write first") + 1, order.IndexOf("write second") - 1);
        Assert.True(order.IndexOf("committed first") < order.IndexOf("write second"), string.Join(", ", order));
        Assert.True(order.IndexOf("write third") < order.IndexOf("committed second"), string.Join(", ", order));
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

        // The loop's flush has taken the write and waits for the turn, as a background writer.
        await Eventually(() => behind.PendingCount == 0, "the flush to take the write");
        await Task.Delay(100);
        Assert.False(database.UrgentWriterWaiting);

        held.Dispose();
        await Eventually(() => { lock (order) { return order.Contains("committed late"); } }, "the flush to store the write");
        await behind.StopAsync();
        database.ReleaseConnections();
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

    /// <summary>A deferred write that records when it is written and committed, and can block inside its write (holding the turn).</summary>
    private sealed class RecordingWrite(string name, List<string> order, ManualResetEventSlim? writing = null, ManualResetEventSlim? proceed = null) : DeferredWrite
    {
        public override void Write(PooledConnection connection, SqliteTransaction transaction)
        {
            Record($"write {name}");
            writing?.Set();
            proceed?.Wait(Patience);
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
