using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace FuncRec.Infra.Tests;

/// <summary>
/// The Bicep compiler from the NuGet package Azure.Bicep.CommandLine.linux-x64 (tools/bicep), which restoring this
/// test project downloads into the NuGet packages folder ($NUGET_PACKAGES, or ~/.nuget/packages).
/// </summary>
public static partial class BicepCli
{
    public const string PackageId = "Azure.Bicep.CommandLine.linux-x64";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private static readonly Lazy<string> Executable = new(Locate);

    // Started once and shared: each run of the compiler takes a few seconds.
    private static readonly Lazy<Task<ProcessResult>> MainBuild =
        new(() => RunAsync("build", MainTemplatePath, "--stdout"));

    private static readonly Lazy<Task<ProcessResult>> MainLint =
        new(() => RunAsync("lint", MainTemplatePath));

    public static string MainTemplatePath => RepositoryRoot.Combine("infra", "main.bicep");

    public static Task<ProcessResult> BuildMainAsync() => MainBuild.Value;

    public static Task<ProcessResult> LintMainAsync() => MainLint.Value;

    public static Task<ProcessResult> RunAsync(params string[] arguments) =>
        ProcessRunner.RunAsync(Executable.Value, arguments, Timeout);

    /// <summary>Lines in compiler output that report a diagnostic of any level.</summary>
    public static IReadOnlyList<string> Diagnostics(ProcessResult result) =>
        (result.StandardOutput + "\n" + result.StandardError)
            .Split('\n')
            .Where(line => DiagnosticLine().IsMatch(line))
            .ToList();

    private static string Locate()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.OSArchitecture
            != System.Runtime.InteropServices.Architecture.X64)
        {
            throw new PlatformNotSupportedException(
                $"The infra tests run the Bicep CLI from the NuGet package {PackageId}, a linux-x64 binary; "
                + "run them on linux-x64 (e.g. in a container or WSL).");
        }

        var version = PackageVersion();
        var packagesFolder = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrWhiteSpace(packagesFolder))
        {
            packagesFolder = Path.Combine(
                Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        }

        var path = Path.Combine(packagesFolder, PackageId.ToLowerInvariant(), version, "tools", "bicep");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"The Bicep CLI was not found at {path}. It comes from the NuGet package {PackageId} {version}, "
                + "which this test project references: run `dotnet restore tests/FuncRec.Infra.Tests` "
                + "(set NUGET_PACKAGES if your packages folder is not ~/.nuget/packages). "
                + "The package holds a linux-x64 binary; on other platforms run the tests in a linux-x64 container.",
                path);
        }

        const UnixFileMode execute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        var mode = File.GetUnixFileMode(path);
        if ((mode & UnixFileMode.UserExecute) == 0)
        {
            // NuGet extracts package files without their run bit.
            File.SetUnixFileMode(path, mode | execute);
        }

        return path;
    }

    /// <summary>The version pinned in Directory.Packages.props, so the test runs the compiler restore brought.</summary>
    private static string PackageVersion()
    {
        var props = XDocument.Load(RepositoryRoot.Combine("Directory.Packages.props"));
        var version = props.Descendants("PackageVersion")
            .FirstOrDefault(e => string.Equals((string?)e.Attribute("Include"), PackageId, StringComparison.OrdinalIgnoreCase))
            ?.Attribute("Version")?.Value;
        return version ?? throw new InvalidOperationException(
            $"Directory.Packages.props has no PackageVersion for {PackageId}; add it to get the Bicep compiler.");
    }

    // e.g. "/repo/infra/main.bicep(12,5) : Warning no-unused-params: ..."
    [GeneratedRegex(@"\(\d+,\d+\)\s*:\s*(Error|Warning|Info)\b", RegexOptions.IgnoreCase)]
    private static partial Regex DiagnosticLine();
}
