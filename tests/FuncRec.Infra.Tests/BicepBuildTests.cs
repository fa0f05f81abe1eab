using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FuncRec.Infra.Tests;

public sealed class BicepBuildTests
{
    [Fact]
    public async Task Main_template_builds_with_no_errors_and_no_warnings()
    {
        var build = await BicepCli.BuildMainAsync();

        Assert.True(build.ExitCode == 0, build.Describe());
        Assert.True(BicepCli.Diagnostics(build).Count == 0, build.Describe());
        Assert.IsType<JsonObject>(JsonNode.Parse(build.StandardOutput));
    }

    [Fact]
    public async Task Main_template_passes_the_linter_with_no_diagnostics()
    {
        var lint = await BicepCli.LintMainAsync();

        Assert.True(lint.ExitCode == 0, lint.Describe());
        Assert.True(BicepCli.Diagnostics(lint).Count == 0, lint.Describe());
    }

    [Fact]
    public void Templates_use_local_modules_only()
    {
        // Registry modules (br:, br/public:avm/...) and template specs cannot be restored offline.
        var offending = Directory.EnumerateFiles(RepositoryRoot.Combine("infra"), "*.bicep", SearchOption.AllDirectories)
            .SelectMany(file => File.ReadLines(file).Select(line => (file, line)))
            .Where(x => Regex.IsMatch(x.line, @"^\s*module\s+\w+\s+'(br|ts)[:/]"))
            .ToList();

        Assert.Empty(offending);
    }

    [Fact]
    public void Compiled_templates_are_not_committed()
    {
        // bicep build writes X.json next to X.bicep; the tests compile on the fly instead.
        var compiled = Directory.EnumerateFiles(RepositoryRoot.Combine("infra"), "*.bicep", SearchOption.AllDirectories)
            .Select(bicep => Path.ChangeExtension(bicep, ".json"))
            .Where(File.Exists)
            .ToList();

        Assert.Empty(compiled);
    }
}
