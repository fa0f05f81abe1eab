using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using FuncRec.Application.Services;
using FuncRec.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FuncRec.Host.IntegrationTests.Support;

/// <summary>The pieces of a host's ingest path built by hand over its services, with a test's own clock, user store or queue.</summary>
public static class TestProcessors
{
    /// <summary>An event batch processor over the host's stores, except <paramref name="users"/>, on <paramref name="clock"/>.</summary>
    public static EventBatchProcessor Processor(IServiceProvider services, IUserStore users, TimeProvider clock) => new(
        users,
        services.GetRequiredService<IItemStore>(),
        services.GetRequiredService<IEventLog>(),
        services.GetRequiredService<IModelRegistry>(),
        services.GetRequiredService<ModelHost>(),
        services.GetRequiredService<OnlineLearningService>(),
        services.GetRequiredService<PopularityService>(),
        services.GetRequiredService<IOptions<FuncRecOptions>>(),
        clock,
        NullLogger<EventBatchProcessor>.Instance);

    /// <summary>A second handle on the host's SQLite queue that runs on <paramref name="clock"/> (visibility, holds).</summary>
    public static SqliteEventQueue Queue(IServiceProvider services, string dataDirectory, TimeProvider clock)
        => new(services.GetRequiredService<SqliteDatabase>(), Options.Create(new EmbeddedOptions { DataDirectory = dataDirectory }), clock);
}
