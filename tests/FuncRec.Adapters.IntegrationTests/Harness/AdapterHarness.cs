using FuncRec.Application.Ports;
using Microsoft.Extensions.DependencyInjection;

namespace FuncRec.Adapters.IntegrationTests.Harness;

/// <summary>
/// One implementation of every port, on fresh storage of its own (a temporary SQLite directory, or containers,
/// queues and a database no other test uses), so a contract test can run against each implementation unchanged.
/// </summary>
public abstract class AdapterHarness : IAsyncDisposable
{
    public IUserStore Users => Ports.GetRequiredService<IUserStore>();

    public IItemStore Items => Ports.GetRequiredService<IItemStore>();

    public IEventQueue Queue => Ports.GetRequiredService<IEventQueue>();

    public IEventQueueReceiver Receiver => Ports.GetRequiredService<IEventQueueReceiver>();

    public IEventLog Log => Ports.GetRequiredService<IEventLog>();

    public IModelRegistry Registry => Ports.GetRequiredService<IModelRegistry>();

    /// <summary>
    /// Moves the adapters' clock on (where they follow one): positions of the blob log are apply times, so a test
    /// can spread batches over hours and days. The embedded log orders by sequence and ignores time.
    /// </summary>
    public abstract void AdvanceClock(TimeSpan by);

    /// <summary>Lets enough time pass that every batch logged so far is settled (the blob log's settle time; nothing for SQLite).</summary>
    public abstract void LetLogSettle();

    public abstract Task<IReadOnlyList<PoisonRecord>> ReadPoisonAsync();

    public abstract ValueTask DisposeAsync();

    /// <summary>Where the implementation's ports are registered (the stores of one kind, on this harness's storage).</summary>
    protected abstract IServiceProvider Ports { get; }
}
