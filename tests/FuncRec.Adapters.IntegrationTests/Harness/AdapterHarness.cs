using FuncRec.Application.Ports;

namespace FuncRec.Adapters.IntegrationTests.Harness;

/// <summary>
/// One implementation of every port, on fresh storage of its own (a temporary SQLite directory, or containers,
/// queues and a database no other test uses), so a contract test can run against each implementation unchanged.
/// </summary>
public abstract class AdapterHarness : IAsyncDisposable
{
    public abstract IUserStore Users { get; }

    public abstract IItemStore Items { get; }

    public abstract IEventQueue Queue { get; }

    public abstract IEventQueueReceiver Receiver { get; }

    public abstract IEventLog Log { get; }

    public abstract IModelRegistry Registry { get; }

    /// <summary>
    /// Moves the adapters' clock on (where they follow one): positions of the blob log are apply times, so a test
    /// can spread batches over hours and days. The embedded log orders by sequence and ignores time.
    /// </summary>
    public abstract void AdvanceClock(TimeSpan by);

    /// <summary>Lets enough time pass that every batch logged so far is settled (the blob log's settle time; nothing for SQLite).</summary>
    public abstract void LetLogSettle();

    public abstract Task<IReadOnlyList<PoisonRecord>> ReadPoisonAsync();

    public abstract ValueTask DisposeAsync();
}
