using System.ComponentModel;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace FuncRec.TestSupport;

/// <summary>
/// The Node-based emulators from the committed package-lock.json: installs them with <c>npm ci</c> when a fresh
/// checkout has no node_modules yet, once even when several test processes start at the same time.
/// </summary>
public static class NodeTools
{
    public const string InstallHint = "Install Node 20 + npm, then `npm ci` at the repository root.";

    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(10);

    public static string ModulesDirectory => RepositoryRoot.Combine("node_modules");

    public static async Task EnsureInstalledAsync(CancellationToken cancellationToken)
    {
        if (IsInstalled())
        {
            return;
        }

        // Test assemblies run in parallel processes; a lock file outside the checkout serialises their installs.
        var lockPath = Path.Combine(Path.GetTempPath(), $"funcrec-npm-ci-{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(RepositoryRoot.Path)))[..16]}.lock");
        await using var installLock = await AcquireAsync(lockPath, cancellationToken);
        if (IsInstalled())
        {
            return;
        }

        var result = await RunNpmCiAsync(cancellationToken);
        if (result.ExitCode != 0 || !IsInstalled())
        {
            throw new InvalidOperationException($"`npm ci` at {RepositoryRoot.Path} failed (exit code {result.ExitCode}). {InstallHint}\n{result.Output}");
        }
    }

    private static bool IsInstalled()
        => File.Exists(Path.Combine(ModulesDirectory, "azurite", "dist", "src", "azurite.js"))
           && File.Exists(Path.Combine(ModulesDirectory, "@vercel", "cosmosdb-server", "lib", "index.js"));

    private static async Task<(int ExitCode, string Output)> RunNpmCiAsync(CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo("npm")
        {
            WorkingDirectory = RepositoryRoot.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "ci", "--no-audit", "--no-fund" })
        {
            startInfo.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new InvalidOperationException($"npm could not be started. {InstallHint}");
        }
        catch (Win32Exception exception)
        {
            throw new InvalidOperationException($"The emulators are not installed and npm is not on PATH. {InstallHint}", exception);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(InstallTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"`npm ci` did not finish within {InstallTimeout}. {InstallHint}");
            }

            return (process.ExitCode, await output + await errors);
        }
    }

    private static async Task<FileStream> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }
    }
}
