using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace FuncRec.Host.IntegrationTests.Support;

/// <summary>
/// <c>dotnet funcrec.dll serve --data-dir DIR --urls http://127.0.0.1:0</c> as a child process, for tests that must
/// kill the backend the hard way. The bound address is read from the line the command prints once it serves.
/// </summary>
public sealed partial class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServeProcess(Process process)
    {
        _process = process;
    }

    public HttpClient Client { get; private set; } = null!;

    /// <summary>What the process printed so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the process with <paramref name="environment"/> added to this one's, less the variables named in <paramref name="unset"/>.</summary>
    public static async Task<ServeProcess> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string> environment, IEnumerable<string>? unset = null)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { FuncRecDll(), "serve", "--data-dir", dataDirectory, "--urls", "http://127.0.0.1:0" })
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var name in unset ?? [])
        {
            startInfo.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start dotnet funcrec.dll serve.");
        var serve = new ServeProcess(process);
        var address = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is null)
            {
                address.TrySetException(new InvalidOperationException($"funcrec serve ended before serving:\n{serve.Output}"));
                return;
            }

            serve.Append(line.Data);
            if (ServingLine().Match(line.Data) is { Success: true } match)
            {
                address.TrySetResult(match.Groups["address"].Value);
            }
        };
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                serve.Append(line.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            serve.Client = new HttpClient { BaseAddress = new Uri(await address.Task.WaitAsync(TimeSpan.FromSeconds(60))), Timeout = TimeSpan.FromMinutes(2) };
        }
        catch
        {
            await serve.DisposeAsync();
            throw;
        }

        return serve;
    }

    /// <summary>SIGKILL (what <see cref="Process.Kill()"/> sends on Unix): no shutdown code runs, as with kill -9.</summary>
    public async Task KillHardAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        await KillHardAsync();
        _process.Dispose();
    }

    /// <summary>funcrec.dll beside the test assembly (the CLI is a project reference), else in the CLI's own build output.</summary>
    internal static string FuncRecDll()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "funcrec.dll");
        if (File.Exists(beside) && File.Exists(Path.Combine(AppContext.BaseDirectory, "funcrec.runtimeconfig.json")))
        {
            return beside;
        }

        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = testOutput.Parent?.Name ?? "Release";
        var framework = testOutput.Name;
        for (var directory = testOutput; directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "src", "FuncRec.Cli", "bin", configuration, framework, "funcrec.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"funcrec.dll is neither in {AppContext.BaseDirectory} nor in src/FuncRec.Cli/bin/{configuration}/{framework}.");
    }

    private void Append(string line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    [GeneratedRegex(@"serving on (?<address>http://\S+?)[, ]")]
    private static partial Regex ServingLine();
}
