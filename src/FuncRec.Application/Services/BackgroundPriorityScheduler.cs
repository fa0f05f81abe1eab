using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace FuncRec.Application.Services;

/// <summary>
/// Runs bulk CPU work (the local host's queue consumer parsing and learning its batches) on threads of its own
/// whose operating-system priority is lowered, so that it takes the processors only when requests leave them instead
/// of sharing them equally. On a saturated machine an app's one-event post otherwise waited behind the consumer's
/// share of the run queue, most of all after a collector pause, when every thread resumes at once
/// (docs/benchmarks.md, "Requests before the consumer").
/// <para>
/// Only work handed over through <see cref="RunAsync{T}(Func{T})"/> and <see cref="RunAsync(Func{Task})"/> runs
/// here, and what it hands back reaches the caller through a relay thread at normal priority. On Linux a new
/// thread takes the nice value of the thread that creates it, and the thread pool creates its workers on whichever
/// thread queues work when it needs one: a lowered thread that completed a task awaited on the pool could leave
/// the pool with lowered workers for good (an unprivileged process cannot raise a thread back). So the work given
/// here should be computation, not waiting: it must not take the database's write turn or locks requests wait on
/// for long, since a lowered thread holding them runs only when the processors are free.
/// </para>
/// </summary>
public sealed class BackgroundPriorityScheduler : TaskScheduler, IDisposable
{
    private const int PrioProcess = 0;

    private readonly BlockingCollection<Task> _queue = new(new ConcurrentQueue<Task>());
    private readonly BlockingCollection<Action> _relayed = new(new ConcurrentQueue<Action>());
    private int _lowered;
    private int _running;

    [ThreadStatic]
    private static BackgroundPriorityScheduler? t_owner;

    /// <param name="threads">How many lowered threads run the work: at most this many pieces at once.</param>
    /// <param name="niceness">
    /// How far below the process's priority they run: a Unix nice increment from 1 (slightly) to 19 (only when
    /// nothing else wants the processor). On Windows any value means below normal; elsewhere it is not applied.
    /// </param>
    public BackgroundPriorityScheduler(int threads, int niceness)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(niceness, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(niceness, 19);
        Niceness = niceness;

        Threads = threads;

        // Started by the constructing thread, so at its priority: it hands results back to the thread pool.
        new Thread(Relay) { IsBackground = true, Name = "funcrec-relay" }.Start();

        _running = threads;
        using var started = new CountdownEvent(threads);
        for (var i = 0; i < threads; i++)
        {
            new Thread(() => Run(started)) { IsBackground = true, Name = $"funcrec-background-{i}" }.Start();
        }

        // Each thread lowers itself first: when the constructor returns, Lowered is known.
        started.Wait();
    }

    public int Niceness { get; }

    public int Threads { get; }

    /// <summary>How the threads run, for logs: their nice increment on Linux, below normal on Windows.</summary>
    public string Priority => OperatingSystem.IsWindows() ? "below-normal priority" : $"nice +{Niceness}";

    /// <summary>The thread that completed the last task handed back (for tests: the relay, never a lowered thread).</summary>
    internal string? LastCompletedOn { get; private set; }

    /// <summary>Whether every thread's priority was lowered; false where the system refused or has no per-thread priority here.</summary>
    public bool Lowered => Volatile.Read(ref _lowered) == Threads;

    public override int MaximumConcurrencyLevel => Threads;

    /// <summary>Runs <paramref name="work"/> on a lowered thread; the returned task completes at normal priority.</summary>
    public Task<T> RunAsync<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return Relayed(Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this));
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the lowered threads, its awaits included (they come back here); the returned
    /// task completes at normal priority. A <see cref="Parallel.ForEachAsync{TSource}(IEnumerable{TSource}, ParallelOptions, Func{TSource, CancellationToken, ValueTask})"/>
    /// it starts runs its bodies here only when its options name this scheduler: unnamed, it uses the thread pool.
    /// </summary>
    public Task RunAsync(Func<Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return Relayed(Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this).Unwrap());
    }

    /// <summary>
    /// Lets the threads end once the work queued so far has run; work queued later runs on the thread pool. The
    /// relay stops after the last of them, so work finishing meanwhile still hands its result back through it.
    /// </summary>
    public void Dispose() => _queue.CompleteAdding();

    protected override void QueueTask(Task task)
    {
        if (!TryAdd(_queue, task))
        {
            // Disposed while something was still finishing: it must run all the same.
            Post(() => ThreadPool.UnsafeQueueUserWorkItem(static state => state.Scheduler.TryExecuteTask(state.Task), (Scheduler: this, Task: task), preferLocal: false));
        }
    }

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued)
        => t_owner == this && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    private Task<T> Relayed<T>(Task<T> running)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Runs on the lowered thread that finishes the work, and only hands the outcome to the relay thread.
        running.ContinueWith(
            static (finished, state) =>
            {
                var (scheduler, done) = ((BackgroundPriorityScheduler, TaskCompletionSource<T>))state!;
                scheduler.Post(() => scheduler.Complete(done, finished));
            },
            (this, done),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            // This scheduler, not the pool's: should the runtime decline to run it inline, it is queued here.
            this);
        return done.Task;
    }

    private Task Relayed(Task running) => Relayed(running.ContinueWith(static finished =>
    {
        finished.GetAwaiter().GetResult();
        return true;
    }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, this));

    private void Complete<T>(TaskCompletionSource<T> done, Task<T> finished)
    {
        LastCompletedOn = Thread.CurrentThread.Name;
        if (finished.IsCanceled)
        {
            done.TrySetCanceled();
        }
        else if (finished.IsFaulted)
        {
            done.TrySetException(finished.Exception!.InnerExceptions);
        }
        else
        {
            done.TrySetResult(finished.Result);
        }
    }

    private void Post(Action action)
    {
        if (!TryAdd(_relayed, action))
        {
            // The relay stops only after the last lowered thread has, so this is not one of them.
            System.Diagnostics.Debug.Assert(t_owner != this, "A lowered thread outlived the relay.");
            action();
        }
    }

    private static bool TryAdd<T>(BlockingCollection<T> collection, T item)
    {
        try
        {
            return collection.TryAdd(item);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private void Relay()
    {
        foreach (var action in _relayed.GetConsumingEnumerable())
        {
            action();
        }
    }

    private void Run(CountdownEvent started)
    {
        t_owner = this;
        try
        {
            if (LowerCurrentThread(Niceness))
            {
                Interlocked.Increment(ref _lowered);
            }
        }
        finally
        {
            started.Signal();
        }

        foreach (var task in _queue.GetConsumingEnumerable())
        {
            TryExecuteTask(task);
        }

        if (Interlocked.Decrement(ref _running) == 0)
        {
            _relayed.CompleteAdding();
        }
    }

    private static bool LowerCurrentThread(int niceness)
    {
        if (OperatingSystem.IsWindows())
        {
            Thread.CurrentThread.Priority = ThreadPriority.BelowNormal;
            return true;
        }

        if (!OperatingSystem.IsLinux())
        {
            // .NET does not apply managed thread priorities on other Unix systems.
            return false;
        }

        try
        {
            // On Linux each thread has its own nice value, and PRIO_PROCESS with 0 means the calling thread alone.
            // -1 is a valid answer, so errno tells a failure apart.
            Marshal.SetLastPInvokeError(0);
            var current = getpriority(PrioProcess, 0);
            if (current == -1 && Marshal.GetLastPInvokeError() != 0)
            {
                return false;
            }

            // At 19 already, there is no lower to go: the thread would not run below the others.
            var lowered = Math.Min(19, current + niceness);
            return lowered > current && setpriority(PrioProcess, 0, lowered) == 0;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getpriority(int which, int who);

    [DllImport("libc", SetLastError = true)]
    private static extern int setpriority(int which, int who, int prio);
}
