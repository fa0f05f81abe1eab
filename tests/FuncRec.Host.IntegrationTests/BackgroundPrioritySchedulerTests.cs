using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using FuncRec.Application.Services;
using FuncRec.Host.IntegrationTests.Support;

namespace FuncRec.Host.IntegrationTests;

/// <summary>
/// The queue consumer parses and learns below requests: on threads of its own at a lowered priority, awaits and the
/// per-user parallel loop included, handing results back at normal priority (docs/architecture.md, "The consumer
/// below requests").
/// </summary>
public sealed class BackgroundPrioritySchedulerTests
{
    [Fact]
    public async Task Work_its_awaits_and_its_parallel_loop_run_on_the_lowered_threads_and_the_caller_resumes_at_normal_priority()
    {
        using var scheduler = new BackgroundPriorityScheduler(threads: 2, niceness: 10);
        var threads = new ConcurrentBag<string>();
        void Note() => threads.Add(Thread.CurrentThread.Name ?? "(thread pool or unnamed)");
        var normal = CurrentThreadPriority();

        var resumedOn = await scheduler.RunAsync(async () =>
        {
            Note();
            await Task.Delay(5);
            Note();
            // As EventBatchProcessor.ApplyAsync runs its users: the loop runs its bodies on the pool unless told.
            await Parallel.ForEachAsync(Enumerable.Range(0, 16), new ParallelOptions { MaxDegreeOfParallelism = 4, TaskScheduler = scheduler }, async (_, _) =>
            {
                Note();
                await Task.Yield();
                Note();
            });
            Note();
        }).ContinueWith(_ => (Name: Thread.CurrentThread.Name ?? string.Empty, Priority: CurrentThreadPriority()), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        // Handed back through the relay: what awaits the work never runs on, or is queued to the pool by, a lowered thread.
        Assert.Equal("funcrec-relay", scheduler.LastCompletedOn);
        Assert.DoesNotContain("funcrec-background-", resumedOn.Name);
        Assert.Equal(normal, resumedOn.Priority);
        Assert.Equal(35, threads.Count);
        Assert.All(threads, name => Assert.StartsWith("funcrec-background-", name));
    }

    [Fact]
    public async Task A_result_and_a_failure_come_back_to_the_caller()
    {
        using var scheduler = new BackgroundPriorityScheduler(threads: 1, niceness: 10);

        Assert.Equal("funcrec-background-0", await scheduler.RunAsync(() => Thread.CurrentThread.Name));
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => scheduler.RunAsync<int>(() => throw new InvalidOperationException("bad batch")));
        Assert.Equal("bad batch", failure.Message);
        await Assert.ThrowsAsync<FormatException>(() => scheduler.RunAsync(async () =>
        {
            await Task.Yield();
            throw new FormatException();
        }));
    }

    [Fact]
    public async Task Its_threads_run_the_niceness_asked_for_below_the_process()
    {
        using var scheduler = new BackgroundPriorityScheduler(threads: 2, niceness: 7);
        var normal = CurrentThreadPriority();

        var seen = await scheduler.RunAsync(CurrentThreadPriority);

        if (OperatingSystem.IsLinux())
        {
            Assert.True(scheduler.Lowered);
            Assert.Equal($"nice {Math.Min(19, int.Parse(normal["nice ".Length..], System.Globalization.CultureInfo.InvariantCulture) + 7)}", seen);
        }
        else if (OperatingSystem.IsWindows())
        {
            Assert.True(scheduler.Lowered);
            Assert.Equal(nameof(ThreadPriority.BelowNormal), seen);
        }
        else
        {
            Assert.False(scheduler.Lowered);
        }
    }

    [Fact]
    public async Task Work_given_after_disposal_still_runs()
    {
        var scheduler = new BackgroundPriorityScheduler(threads: 1, niceness: 10);
        scheduler.Dispose();

        Assert.Equal(42, await scheduler.RunAsync(() => 42));
    }

    [Fact]
    public async Task Work_in_flight_at_disposal_still_hands_its_result_back_through_the_relay()
    {
        var scheduler = new BackgroundPriorityScheduler(threads: 1, niceness: 10);
        using var release = new ManualResetEventSlim();
        using var running = new ManualResetEventSlim();

        var work = scheduler.RunAsync(() =>
        {
            running.Set();
            release.Wait(TimeSpan.FromSeconds(30));
            return 7;
        });
        Assert.True(running.Wait(TimeSpan.FromSeconds(30)));
        scheduler.Dispose();
        release.Set();

        Assert.Equal(7, await work);
        Assert.Equal("funcrec-relay", scheduler.LastCompletedOn);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(1, 0)]
    [InlineData(1, 20)]
    public void Out_of_range_settings_are_refused(int threads, int niceness)
        => Assert.Throws<ArgumentOutOfRangeException>(() => new BackgroundPriorityScheduler(threads, niceness));

    [Fact]
    public void The_local_host_refuses_a_consumer_niceness_out_of_range_naming_it()
    {
        using var directory = new TemporaryDirectory("niceness");

        var refused = Assert.Throws<ValidationException>(() => InProcessHost.Build(directory.Path, new Dictionary<string, string?> { ["FuncRec:Consumer:Niceness"] = "20" }));

        Assert.Contains("Niceness", refused.Message);
    }

    [Fact]
    public async Task Serve_runs_its_consumer_below_requests_and_says_so()
    {
        using var directory = new TemporaryDirectory("consumer-priority");
        await using var serve = await ServeProcess.StartAsync(directory.Path, HostSettings.AsEnvironment(HostSettings.Fast()), ["FuncRec__Consumer__Niceness"]);

        Assert.Contains("threads of their own at nice +5, below requests", serve.Output);
    }

    /// <summary>The current thread's nice value on Linux (field 19 of /proc/thread-self/stat), its managed priority elsewhere.</summary>
    private static string CurrentThreadPriority()
    {
        if (!OperatingSystem.IsLinux())
        {
            return Thread.CurrentThread.Priority.ToString();
        }

        // The fields after the command name (which may hold spaces, so split after its closing parenthesis) start at field 3.
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return $"nice {fields[19 - 3]}";
    }
}
