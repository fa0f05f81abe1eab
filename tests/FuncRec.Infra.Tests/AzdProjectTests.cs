using System.Text.Json.Nodes;

namespace FuncRec.Infra.Tests;

public sealed class AzdProjectTests
{
    [Fact]
    public async Task Parameters_file_feeds_the_azd_environment_into_declared_parameters()
    {
        var template = await CompiledTemplate.MainAsync();
        var file = JsonNode.Parse(File.ReadAllText(RepositoryRoot.Combine("infra", "main.parameters.json")))!;
        var parameters = Assert.IsType<JsonObject>(file["parameters"]);

        Assert.Equal("${AZURE_ENV_NAME}", (string?)parameters["environmentName"]?["value"]);
        Assert.Equal("${AZURE_LOCATION}", (string?)parameters["location"]?["value"]);
        Assert.Equal("${AZURE_PRINCIPAL_ID}", (string?)parameters["principalId"]?["value"]);
        var undeclared = parameters.Select(p => p.Key).Where(name => !template.Parameters.ContainsKey(name)).ToList();
        Assert.Empty(undeclared);
        var unset = template.Parameters
            .Where(p => p.Value is JsonObject d && !d.ContainsKey("defaultValue") && !parameters.ContainsKey(p.Key))
            .Select(p => p.Key)
            .ToList();
        Assert.Empty(unset);
    }

    [Fact]
    public async Task Parameters_file_fallbacks_equal_the_template_defaults()
    {
        // azd always passes the parameters file, so its ${VAR=fallback} is the effective default, not the template's:
        // the two must agree (the template's defaults are checked against the app's in SettingsDerivationTests).
        var template = await CompiledTemplate.MainAsync();
        var file = JsonNode.Parse(File.ReadAllText(RepositoryRoot.Combine("infra", "main.parameters.json")))!;

        var disagreeing = new List<string>();
        foreach (var (name, parameter) in Assert.IsType<JsonObject>(file["parameters"]))
        {
            var match = System.Text.RegularExpressions.Regex.Match((string?)parameter?["value"] ?? "", @"^\$\{[A-Za-z0-9_]+=(.*)\}$");
            if (!match.Success || template.Parameters[name] is not JsonObject declared || declared["defaultValue"] is not JsonValue defaultValue)
            {
                continue;
            }

            var templateDefault = defaultValue.TryGetValue<string>(out var text) ? text : defaultValue.ToJsonString();
            if (!string.Equals(templateDefault, match.Groups[1].Value, StringComparison.Ordinal))
            {
                disagreeing.Add($"{name}: parameters file '{match.Groups[1].Value}', template '{templateDefault}'");
            }
        }

        Assert.True(disagreeing.Count == 0, $"main.parameters.json falls back to other values than main.bicep's defaults: {string.Join("; ", disagreeing)}");
    }

    [Fact]
    public async Task Optional_parameters_have_the_documented_defaults()
    {
        var template = await CompiledTemplate.MainAsync();

        Assert.Equal(0, template.RootScope.Parameter("cosmosThroughput").AsInteger);
        Assert.Equal(2048, template.RootScope.Parameter("instanceMemoryMB").AsInteger);
        Assert.Equal(100, template.RootScope.Parameter("maximumInstanceCount").AsInteger);
        Assert.Equal(0, template.RootScope.Parameter("alwaysReadyHttp").AsInteger);
        Assert.False(template.RootScope.Parameter("vnetEnabled").AsBoolean);
        Assert.Equal("", template.RootScope.Parameter("principalId").AsString);
    }

    [Fact]
    public async Task Resource_names_derive_from_subscription_environment_and_location()
    {
        var template = await CompiledTemplate.MainAsync();

        var token = (string?)template.Root["variables"]?["resourceToken"];
        Assert.Equal("[toLower(uniqueString(subscription().id, parameters('environmentName'), parameters('location')))]", token);
        foreach (var module in new[] { "identity", "storage", "cosmos", "api" })
        {
            var bindings = template.Module(module).Raw("properties.parameters")!.ToJsonString();
            Assert.Contains("resourceToken", bindings);
        }
    }

    [Fact]
    public async Task Outputs_give_azd_and_the_smoke_hook_what_they_need()
    {
        var template = await CompiledTemplate.MainAsync();

        string[] expected =
        [
            "AZURE_LOCATION", "AZURE_TENANT_ID", "AZURE_RESOURCE_GROUP", "AZURE_FUNCTION_APP_NAME", "AZURE_FUNCTION_URI",
            "SERVICE_API_NAME", "AZURE_STORAGE_ACCOUNT_NAME", "AZURE_COSMOS_ACCOUNT_NAME", "AZURE_COSMOS_ENDPOINT",
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
        ];
        var missing = expected.Where(name => !template.OutputNames.Contains(name)).ToList();
        Assert.Empty(missing);
        var uri = (string?)template.Module("api").Raw("properties.template.outputs.uri.value");
        Assert.Equal("[format('https://{0}', reference(resourceId('Microsoft.Web/sites', parameters('name')), '2024-04-01').defaultHostName)]", uri);
    }

    [Fact]
    public void Azure_yaml_declares_the_api_as_a_dotnet_function_app_project()
    {
        var lines = AzureYamlLines();

        Assert.Contains("services:", lines);
        var api = lines.IndexOf("  api:");
        Assert.True(api > lines.IndexOf("services:"), "azure.yaml has no service 'api' under services:");
        var service = lines.Skip(api + 1).TakeWhile(l => l.StartsWith("    ", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
        Assert.Contains("project: ./src/FuncRec.Functions", service);
        Assert.Contains("language: dotnet", service);
        Assert.Contains("host: function", service);

        // The project may not exist yet while the app is being written; when it does, it is a .NET project.
        var project = RepositoryRoot.Combine("src", "FuncRec.Functions");
        if (Directory.Exists(project))
        {
            Assert.True(File.Exists(Path.Combine(project, "FuncRec.Functions.csproj")), $"{project} has no FuncRec.Functions.csproj");
        }
    }

    [Fact]
    public async Task Azure_yaml_smoke_tests_the_deployed_url_after_deploy()
    {
        var template = await CompiledTemplate.MainAsync();
        var lines = AzureYamlLines();

        Assert.Contains("hooks:", lines);
        Assert.Contains(lines, l => l.Trim() == "postdeploy:");
        var runs = lines.Where(l => l.TrimStart().StartsWith("run:", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(runs);
        Assert.All(runs, run =>
        {
            Assert.Contains("./scripts/smoke.sh", run);
            Assert.Contains("AZURE_FUNCTION_URI", run);
        });
        Assert.True(File.Exists(RepositoryRoot.Combine("scripts", "smoke.sh")));
        // --key-from-azure reads these from the azd environment, i.e. from the template outputs.
        Assert.Contains("AZURE_FUNCTION_URI", template.OutputNames);
        Assert.Contains("AZURE_RESOURCE_GROUP", template.OutputNames);
        Assert.Contains("AZURE_FUNCTION_APP_NAME", template.OutputNames);
    }

    private static List<string> AzureYamlLines() =>
        File.ReadAllLines(RepositoryRoot.Combine("azure.yaml"))
            .Where(l => !l.TrimStart().StartsWith('#') && l.Trim().Length > 0)
            .Select(l => l.TrimEnd())
            .ToList();
}
