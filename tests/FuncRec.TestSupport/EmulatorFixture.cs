using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace FuncRec.TestSupport;

/// <summary>
/// Azurite (Blob, Queue, Table) and cosmosdb-server behind tests/emulators/cosmos-proxy.js, installed from the
/// committed package-lock.json (<c>npm ci</c> on a fresh checkout), started on loopback ports the emulators pick
/// themselves (port 0, read back from their output, so no other process can take a port between choosing and
/// binding it), and stopped by their own process ids.
/// <para>
/// Use it as a collection fixture. All fixtures of a test process share one pair of emulator processes (started by the
/// first, stopped when the last is disposed), so several collections can run in parallel without starting the
/// emulators again; tests keep apart by using their own containers, queues and databases (<see cref="CreateSettings"/>).
/// </para>
/// </summary>
public sealed partial class EmulatorFixture : IAsyncLifetime
{
    /// <summary>Azurite's well-known development account (public, the same in every Azurite).</summary>
    public const string StorageAccountName = "devstoreaccount1";

    public const string StorageAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>
    /// The Cosmos emulator's well-known key (public). cosmosdb-server does not check keys, but the SDK signs every
    /// request with it, so it must be valid base64.
    /// </summary>
    public const string CosmosAccountKey = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly SemaphoreSlim SharedGate = new(1, 1);
    private static RunningEmulators? _shared;
    private static int _fixtures;

    private RunningEmulators? _emulators;

    private RunningEmulators Emulators => _emulators ?? throw new InvalidOperationException("The emulators start in InitializeAsync.");

    public int BlobPort => Emulators.BlobPort;

    public int QueuePort => Emulators.QueuePort;

    public int TablePort => Emulators.TablePort;

    public int CosmosPort => Emulators.CosmosPort;

    public int CosmosHttpsPort => Emulators.CosmosHttpsPort;

    /// <summary>Azurite as an explicit connection string (UseDevelopmentStorage=true assumes the default ports).</summary>
    public string StorageConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={StorageAccountName};AccountKey={StorageAccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{StorageAccountName};QueueEndpoint=http://127.0.0.1:{QueuePort}/{StorageAccountName};TableEndpoint=http://127.0.0.1:{TablePort}/{StorageAccountName};";

    /// <summary>cosmosdb-server through the correcting proxy, plain HTTP.</summary>
    public string CosmosConnectionString => $"AccountEndpoint=http://127.0.0.1:{CosmosPort}/;AccountKey={CosmosAccountKey}";

    /// <summary>The same server over HTTPS with cosmosdb-server's self-signed, expired certificate (as the Cosmos emulator serves HTTPS).</summary>
    public string CosmosHttpsConnectionString => $"AccountEndpoint=https://127.0.0.1:{CosmosHttpsPort}/;AccountKey={CosmosAccountKey}";

    public async Task InitializeAsync()
    {
        await SharedGate.WaitAsync();
        try
        {
            _shared ??= await RunningEmulators.StartAsync();
            _fixtures++;
            _emulators = _shared;
        }
        finally
        {
            SharedGate.Release();
        }
    }

    public async Task DisposeAsync()
    {
        if (_emulators is null)
        {
            return;
        }

        _emulators = null;
        await SharedGate.WaitAsync();
        try
        {
            if (--_fixtures == 0 && _shared is not null)
            {
                await _shared.DisposeAsync();
                _shared = null;
            }
        }
        finally
        {
            SharedGate.Release();
        }
    }

    /// <summary>
    /// Settings for the Azure adapters on these emulators, with a queue, containers and a Cosmos database no other
    /// test uses (created at first use): configuration keys as the hosts read them (docs/settings.md).
    /// </summary>
    public Dictionary<string, string?> CreateSettings(string prefix = "t") => new()
    {
        ["AzureWebJobsStorage"] = StorageConnectionString,
        ["FuncRecEventQueue"] = UniqueNames.Next(prefix + "q"),
        ["FuncRec:Storage:ModelContainer"] = UniqueNames.Next(prefix + "m"),
        ["FuncRec:Storage:EventLogContainer"] = UniqueNames.Next(prefix + "l"),
        ["FuncRec:Storage:CreateIfMissing"] = "true",
        ["FuncRec:Cosmos:ConnectionString"] = CosmosConnectionString,
        ["FuncRec:Cosmos:Database"] = UniqueNames.Next(prefix + "d"),
        ["FuncRec:Cosmos:CreateIfMissing"] = "true",
    };

    /// <summary>The two emulator processes and the ports they listen on.</summary>
    private sealed partial class RunningEmulators : IAsyncDisposable
    {
        private readonly EmulatorProcess _azurite;
        private readonly EmulatorProcess _cosmos;

        private RunningEmulators(EmulatorProcess azurite, Dictionary<string, int> storagePorts, EmulatorProcess cosmos, ProxyPorts cosmosPorts)
        {
            _azurite = azurite;
            _cosmos = cosmos;
            (BlobPort, QueuePort, TablePort) = (storagePorts["Blob"], storagePorts["Queue"], storagePorts["Table"]);
            (CosmosPort, CosmosHttpsPort) = (cosmosPorts.Http, cosmosPorts.Https ?? 0);
        }

        public int BlobPort { get; }

        public int QueuePort { get; }

        public int TablePort { get; }

        public int CosmosPort { get; }

        public int CosmosHttpsPort { get; }

        public static async Task<RunningEmulators> StartAsync()
        {
            await NodeTools.EnsureInstalledAsync(CancellationToken.None);
            var azurite = EmulatorProcess.StartAsync(
                "Azurite",
                "azurite/dist/src/azurite.js",
                ["--silent", "--skipApiVersionCheck", "--inMemoryPersistence", "--extentMemoryLimit", "1024", "--disableTelemetry",
                 "--blobHost", "127.0.0.1", "--blobPort", "0", "--queueHost", "127.0.0.1", "--queuePort", "0", "--tableHost", "127.0.0.1", "--tablePort", "0"],
                AzuritePorts,
                StartTimeout,
                CancellationToken.None);
            var cosmos = EmulatorProcess.StartAsync(
                "cosmosdb-server proxy",
                "./cosmos-proxy.js",
                ["--host", "127.0.0.1", "--port", "0", "--https-port", "0"],
                CosmosPorts,
                StartTimeout,
                CancellationToken.None);
            try
            {
                await Task.WhenAll(azurite, cosmos);
            }
            catch
            {
                // Whichever one did start must not outlive the failed start.
                await StopIfStartedAsync(azurite);
                await StopIfStartedAsync(cosmos);
                throw;
            }

            return new RunningEmulators(azurite.Result.Process, azurite.Result.Ready, cosmos.Result.Process, cosmos.Result.Ready);
        }

        public async ValueTask DisposeAsync()
        {
            await _azurite.DisposeAsync();
            await _cosmos.DisposeAsync();
        }

        private static async Task StopIfStartedAsync<T>(Task<(EmulatorProcess Process, T Ready)> start)
        {
            if (start.IsCompletedSuccessfully)
            {
                await start.Result.Process.DisposeAsync();
            }
        }

        private static Dictionary<string, int>? AzuritePorts(IReadOnlyList<string> lines)
        {
            var ports = new Dictionary<string, int>();
            foreach (var line in lines)
            {
                if (AzuriteListening().Match(line) is { Success: true } match)
                {
                    ports[match.Groups["service"].Value] = int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture);
                }
            }

            return ports.Count == 3 ? ports : null;
        }

        private static ProxyPorts? CosmosPorts(IReadOnlyList<string> lines)
            => lines.Where(line => line.StartsWith('{')).Select(line => JsonSerializer.Deserialize<ProxyPorts>(line, new JsonSerializerOptions(JsonSerializerDefaults.Web))).FirstOrDefault();

        [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at https?://[^\s]+:(?<port>\d+)")]
        private static partial Regex AzuriteListening();
    }

    private sealed record ProxyPorts(int Http, int? Https);
}
