using FuncRec.Cli.Hosting;
using FuncRec.Embedded;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FuncRec.Host.IntegrationTests.Support;

/// <summary>
/// The local host (<see cref="LocalHost.Build"/>) in this process on a free loopback port, over a data directory,
/// with an <see cref="HttpClient"/> for its address and its service provider for looking behind the API.
/// </summary>
public sealed class InProcessHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessHost(WebApplication app, string dataDirectory, Uri address)
    {
        _app = app;
        DataDirectory = dataDirectory;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
    }

    public string DataDirectory { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public T Get<T>()
        where T : notnull
        => _app.Services.GetRequiredService<T>();

    public static async Task<InProcessHost> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string?> settings)
    {
        var app = Build(dataDirectory, settings);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new InProcessHost(app, dataDirectory, new Uri(address));
    }

    /// <summary>A host built but not started: its services (one DI container with its own stores) without HTTP or background work.</summary>
    public static WebApplication Build(string dataDirectory, IReadOnlyDictionary<string, string?> settings)
        => LocalHost.Build(dataDirectory, "http://127.0.0.1:0", settings, LogLevel.Warning);

    /// <summary>Closes the idle SQLite connections to the data directory's database, so its files can be copied or deleted.</summary>
    public static void ReleaseDatabase(IServiceProvider services) => ReleaseDatabase(services.GetRequiredService<SqliteDatabase>());

    public static void ReleaseDatabase(SqliteDatabase database) => database.ReleaseConnections();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        ReleaseDatabase(_app.Services);
        await _app.DisposeAsync();
    }
}
