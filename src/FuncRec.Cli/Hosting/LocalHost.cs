using FuncRec.Application;
using FuncRec.Application.Options;
using FuncRec.Application.Services;
using FuncRec.Azure;
using FuncRec.Embedded;
using FuncRec.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FuncRec.Cli.Hosting;

/// <summary>
/// <c>funcrec serve</c>: the whole backend in one process on the embedded stores. The same application services
/// the Functions app runs, with hosted services in place of its triggers: a queue consumer, the fine-tune
/// schedule, and the model refresh. Binds to loopback unless told otherwise.
/// </summary>
public static class LocalHost
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>The runtime's switch for completing socket operations on the threads that poll the sockets.</summary>
    public const string InlineSocketCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Completes socket reads and writes on the polling threads instead of handing each to the thread pool: one
    /// thread switch less per request, 3–18 % more recommend requests/s in six paired runs at 32 connections on two
    /// cores (docs/benchmarks.md). Only Kestrel's transport runs there; request handlers still run on the thread
    /// pool. It applies to every socket of the process, so an outbound client's continuations (the Azure SDKs')
    /// would run on those threads too: call it for the embedded stores only, before any socket is used. A value the
    /// environment already sets (0 turns it off) wins.
    /// </summary>
    public static void PreferInlineSocketCompletions()
    {
        if (Environment.GetEnvironmentVariable(InlineSocketCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineSocketCompletionsVariable, "1");
        }
    }

    /// <summary>
    /// The collector this process runs with, for the serving line: which one, and the largest budget of its first
    /// generation in effect (64 MB from funcrec.runtimeconfig.json, see FuncRec.Cli.csproj, unless the environment
    /// says otherwise), which is what bounds its pauses under ingest load.
    /// </summary>
    public static string CollectorSummary()
    {
        var kind = System.Runtime.GCSettings.IsServerGC ? "server collector" : "workstation collector";
        return GC.GetConfigurationVariables().TryGetValue("GCGen0MaxBudget", out var budget) && budget is long bytes and > 0
            ? $"{kind}, first-generation budget up to {bytes / (1024 * 1024)} MB per heap"
            : kind;
    }

    /// <summary>
    /// For a command that writes the data directory: claims it before any work starts
    /// (<see cref="SqliteDatabase.ClaimDataDirectory"/>), or writes why not to standard error and returns false, so a
    /// second server or an import into a served directory stops at once with the reason.
    /// </summary>
    public static async Task<bool> TryClaimDataDirectoryAsync(WebApplication app)
    {
        if (app.Services.GetService<SqliteDatabase>() is not { } database)
        {
            return true;
        }

        try
        {
            database.ClaimDataDirectory(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EmbeddedOptions>>().Value.ExclusiveDataDirectory);
            return true;
        }
        catch (DataDirectoryClaimException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return false;
        }
    }

    public static WebApplication Build(string dataDirectory, string urls, IEnumerable<KeyValuePair<string, string?>>? settings = null, LogLevel logLevel = LogLevel.Information, StorageKind storage = StorageKind.Embedded)
    {
        // No file watching of the configuration: the default content root is the working directory, which usually
        // holds the data directory, and a recursive watcher there turns every SQLite write into inotify work.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.WebHost.UseUrls(urls);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{EmbeddedOptions.Section}:DataDirectory"] = dataDirectory,

            // One process consumes the queue here: keep its backlog short so events reach the model in milliseconds.
            ["FuncRec:Ingest:MaxQueueBacklog"] = "8",

            // SQLite has one writer at a time (a batch's writes go in one transaction); reading and learning for
            // the batch's users still overlap on two threads.
            ["FuncRec:Online:UserParallelism"] = "2",
        });
        builder.Configuration.AddEnvironmentVariables();
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        builder.Logging.AddFilter("Azure", LogLevel.Warning);

        builder.Services.AddFuncRecApplication(builder.Configuration);
        if (storage == StorageKind.Azure)
        {
            // Azurite/Cosmos (or real accounts) named by the same settings the Functions app reads; consumers scale out there.
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["FuncRec:Ingest:MaxQueueBacklog"] = "0", ["FuncRec:Online:UserParallelism"] = "8" });
            builder.Configuration.AddEnvironmentVariables();
            if (settings is not null)
            {
                builder.Configuration.AddInMemoryCollection(settings);
            }

            builder.Services.AddFuncRecAzureStores(builder.Configuration);
        }
        else
        {
            builder.Services.AddFuncRecEmbeddedStores(builder.Configuration);

            // Models are warmed on the embedded stores only: there the warmed documents stay cached, where on Cosmos
            // the warm-up would be thousands of point reads per model load for nothing kept.
            builder.Services.AddSingleton<IServingModelWarmup>(sp => sp.GetRequiredService<ServingWarmup>());
        }
        builder.Services.AddFuncRecHttpApi();
        var consumerOptions = builder.Configuration.GetSection(QueueConsumerOptions.Section).Get<QueueConsumerOptions>() ?? new QueueConsumerOptions();
        // Refused here, naming the setting, rather than when the consumer starts in the background.
        System.ComponentModel.DataAnnotations.Validator.ValidateObject(consumerOptions, new System.ComponentModel.DataAnnotations.ValidationContext(consumerOptions), validateAllProperties: true);
        builder.Services.AddSingleton(consumerOptions);
        builder.Services.AddSingleton<QueueConsumer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<QueueConsumer>());
        builder.Services.AddHostedService<WarmupBeforeTraffic>();
        builder.Services.AddHostedService<ModelRefreshService>();
        builder.Services.AddHostedService<FineTuneScheduler>();

        var app = builder.Build();
        app.MapFuncRecApi();
        return app;
    }
}

/// <summary>Where the local host keeps its state.</summary>
public enum StorageKind
{
    /// <summary>SQLite and files under the data directory.</summary>
    Embedded = 0,

    /// <summary>Blob, Queue and Cosmos DB from the connection settings (AzureWebJobsStorage, FuncRec__Cosmos__ConnectionString or …Endpoint).</summary>
    Azure = 1,
}
