using System.Diagnostics;

namespace FuncRec.Host.IntegrationTests.Support;

/// <summary>Runs one <c>dotnet funcrec.dll …</c> command to its end and returns its exit code and output.</summary>
public static class CliProcess
{
    public static async Task<(int ExitCode, string Output)> RunAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(ServeProcess.FuncRecDll());
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start funcrec {string.Join(' ', arguments)}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromMinutes(2));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"funcrec {string.Join(' ', arguments)} did not finish in time:\n{await output}{await errors}");
        }

        return (process.ExitCode, await output + await errors);
    }
}
