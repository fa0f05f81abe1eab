using FuncRec.Host.IntegrationTests.Support;

namespace FuncRec.Host.IntegrationTests;

/// <summary>
/// One <c>funcrec serve</c> owns its data directory (it answers reads from memory and writes behind): a second
/// server, or an import into the served directory, stops at once with the reason, and the first keeps serving.
/// </summary>
public sealed class DataDirectoryClaimTests
{
    [Fact]
    public async Task A_second_server_or_an_import_on_a_served_directory_stops_with_the_reason_and_the_first_keeps_serving()
    {
        using var directory = new TemporaryDirectory("claim");
        using var source = new TemporaryDirectory("claim-source");
        await File.WriteAllTextAsync(Path.Combine(source.Path, "events.jsonl"), """{"eventId":"e-1","userId":"u-1","itemId":"i-1","type":"click"}""" + "\n");
        var environment = HostSettings.AsEnvironment(HostSettings.Fast());

        await using (var first = await ServeProcess.StartAsync(directory.Path, environment))
        {
            var second = await CliProcess.RunAsync(["serve", "--data-dir", directory.Path, "--urls", "http://127.0.0.1:0"], environment, TimeSpan.FromMinutes(1));
            Assert.Equal(1, second.ExitCode);
            Assert.Contains("is in use by another process", second.Output);

            var import = await CliProcess.RunAsync(["import", source.Path, "--data-dir", directory.Path], environment);
            Assert.Equal(1, import.ExitCode);
            Assert.Contains("is in use by another process", import.Output);

            Assert.Equal("healthy", (await first.Client.GetJsonAsync("api/health")).GetProperty("status").GetString());
        }

        // The first one gone (killed: the OS lets its claim go), the directory is free.
        var afterwards = await CliProcess.RunAsync(["import", source.Path, "--data-dir", directory.Path], environment);
        Assert.True(afterwards.ExitCode == 0, afterwards.Output);
    }
}
