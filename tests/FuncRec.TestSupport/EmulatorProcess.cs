using System.ComponentModel;
using System.Diagnostics;

namespace FuncRec.TestSupport;

/// <summary>
/// One emulator started by a test fixture: a Node program run through tests/emulators/exit-with-parent.js with stdin on
/// a pipe (so it exits with the test process even when that is killed), its output kept for error messages, and
/// stopped by killing the process tree it started, by its own process id.
/// </summary>
public sealed class EmulatorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly Lock _gate = new();

    private readonly DirectoryInfo _scratch;

    private EmulatorProcess(string name, Process process, DirectoryInfo scratch)
    {
        Name = name;
        _process = process;
        _scratch = scratch;
    }

    public string Name { get; }

    public int ProcessId => _process.Id;

    public string Output
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="module"/> (a path under node_modules, or relative to tests/emulators when it starts with
    /// '.') and waits until <paramref name="readiness"/> finds what it needs in the output lines so far.
    /// </summary>
    public static async Task<(EmulatorProcess Process, T Ready)> StartAsync<T>(
        string name, string module, IEnumerable<string> arguments, Func<IReadOnlyList<string>, T?> readiness, TimeSpan timeout, CancellationToken cancellationToken)
        where T : class
    {
        // A scratch directory: whatever an emulator writes beside itself stays out of the checkout.
        var scratch = Directory.CreateTempSubdirectory("funcrec-emulator-");
        var startInfo = new ProcessStartInfo("node")
        {
            WorkingDirectory = scratch.FullName,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(RepositoryRoot.Combine("tests", "emulators", "exit-with-parent.js"));
        startInfo.ArgumentList.Add(module);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var emulator = new EmulatorProcess(name, process, scratch);
        var ready = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            List<string> snapshot;
            lock (emulator._gate)
            {
                emulator._output.Add(line);
                snapshot = [.. emulator._output];
            }

            if (!ready.Task.IsCompleted && readiness(snapshot) is { } result)
            {
                ready.TrySetResult(result);
            }
        }

        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"{name} exited (code {process.ExitCode}) before it was ready:\n{emulator.Output}"));
        try
        {
            process.Start();
        }
        catch (Win32Exception exception)
        {
            throw new InvalidOperationException($"node is not on PATH, so {name} cannot start. {NodeTools.InstallHint}", exception);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var result = await ready.Task.WaitAsync(timeout, cancellationToken);
            return (emulator, result);
        }
        catch (Exception exception)
        {
            await emulator.DisposeAsync();
            throw exception is TimeoutException
                ? new TimeoutException($"{name} was not ready within {timeout}:\n{emulator.Output}")
                : exception;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone: nothing to stop.
        }
        finally
        {
            _process.Dispose();
            _scratch.Delete(recursive: true);
        }
    }
}
