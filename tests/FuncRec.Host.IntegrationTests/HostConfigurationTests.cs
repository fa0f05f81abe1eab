using FuncRec.Host.IntegrationTests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;

namespace FuncRec.Host.IntegrationTests;

/// <summary>How the local host reads its configuration.</summary>
public sealed class HostConfigurationTests
{
    [Fact]
    public async Task ConfigurationFilesAreNotWatched()
    {
        // The default data directory sits under the working directory (the content root); a reloading JSON source
        // would watch that tree and wake on every database write.
        using var directory = new TemporaryDirectory("config");
        await using var app = InProcessHost.Build(directory.Path, new Dictionary<string, string?>());
        var jsonSources = ((IConfigurationRoot)app.Configuration).Providers.OfType<JsonConfigurationProvider>().Select(p => p.Source).ToArray();
        Assert.NotEmpty(jsonSources);
        Assert.All(jsonSources, source => Assert.False(source.ReloadOnChange, $"{source.Path} is watched for changes"));
    }
}
