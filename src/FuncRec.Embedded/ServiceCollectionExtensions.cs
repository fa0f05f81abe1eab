using FuncRec.Application.Ports;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FuncRec.Embedded;

/// <summary>Registers the embedded (local disk) implementations of every port.</summary>
public static class ServiceCollectionExtensions
{
    public static IServiceCollection AddFuncRecEmbeddedStores(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EmbeddedOptions>().Bind(configuration.GetSection(EmbeddedOptions.Section))
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataDirectory), $"{EmbeddedOptions.Section}:DataDirectory must name a directory")
            .Validate(o => o.MaxMessageBytes >= 4096, $"{EmbeddedOptions.Section}:MaxMessageBytes must be at least 4096")
            .Validate(o => o.CheckpointIntervalMilliseconds is >= 10 and <= 60_000, $"{EmbeddedOptions.Section}:CheckpointIntervalMilliseconds must be between 10 and 60000")
            .Validate(o => o.WriteBehindMilliseconds is >= 0 and <= 60_000, $"{EmbeddedOptions.Section}:WriteBehindMilliseconds must be between 0 and 60000")
            .ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<EmbeddedOptions>>().Value;
            var database = new SqliteDatabase(options.DataDirectory);
            if (options.ExclusiveDataDirectory && options.WriteBehindMilliseconds > 0)
            {
                database.EnableWriteBehind(TimeSpan.FromMilliseconds(options.WriteBehindMilliseconds), sp.GetRequiredService<ILoggerFactory>().CreateLogger<SqliteWriteBehind>());
            }

            return database;
        });
        services.AddSingleton<SqliteUserStore>();
        services.AddSingleton<IUserStore>(sp => sp.GetRequiredService<SqliteUserStore>());
        services.AddSingleton<IItemStore, SqliteItemStore>();
        services.AddSingleton<SqliteEventQueue>();
        services.AddSingleton<IEventQueue>(sp => sp.GetRequiredService<SqliteEventQueue>());
        services.AddSingleton<IEventQueueReceiver>(sp => sp.GetRequiredService<SqliteEventQueue>());
        services.AddSingleton<IEventLog, SqliteEventLog>();
        services.AddSingleton<IModelRegistry, FileModelRegistry>();
        services.AddLogging();
        services.AddHostedService<SqliteCheckpointer>();
        return services;
    }
}
