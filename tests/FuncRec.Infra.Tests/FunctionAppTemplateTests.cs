using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FuncRec.Infra.Tests;

public sealed class FunctionAppTemplateTests
{
    [Fact]
    public async Task Plan_is_Flex_Consumption()
    {
        var template = await CompiledTemplate.MainAsync();

        var plan = template.Single("Microsoft.Web/serverfarms");
        Assert.Equal("FC1", plan.Value("sku.name").AsString);
        Assert.Equal("FlexConsumption", plan.Value("sku.tier").AsString);
        Assert.Equal("functionapp", plan.Value("kind").AsString);
        Assert.True(plan.Value("properties.reserved").AsBoolean);
        Assert.Contains("Microsoft.Web/serverfarms", (string?)template.FunctionApp.Raw("properties.serverFarmId"));
    }

    [Fact]
    public async Task Function_app_runs_dotnet_isolated_10()
    {
        var template = await CompiledTemplate.MainAsync();

        var app = template.FunctionApp;
        Assert.Equal("functionapp,linux", app.Value("kind").AsString);
        Assert.Equal("dotnet-isolated", app.Value("properties.functionAppConfig.runtime.name").AsString);
        Assert.Equal("10.0", app.Value("properties.functionAppConfig.runtime.version").AsString);
    }

    [Fact]
    public async Task Instance_memory_and_maximum_instances_come_from_parameters()
    {
        var template = await CompiledTemplate.MainAsync();
        var custom = template.With(new Dictionary<string, JsonNode?>
        {
            ["instanceMemoryMB"] = 4096,
            ["maximumInstanceCount"] = 250,
        });

        Assert.Equal(2048, template.FunctionApp.Value("properties.functionAppConfig.scaleAndConcurrency.instanceMemoryMB").AsInteger);
        Assert.Equal(100, template.FunctionApp.Value("properties.functionAppConfig.scaleAndConcurrency.maximumInstanceCount").AsInteger);
        Assert.Equal(4096, custom.FunctionApp.Value("properties.functionAppConfig.scaleAndConcurrency.instanceMemoryMB").AsInteger);
        Assert.Equal(250, custom.FunctionApp.Value("properties.functionAppConfig.scaleAndConcurrency.maximumInstanceCount").AsInteger);
    }

    [Fact]
    public async Task Always_ready_instances_are_off_by_default_and_serve_the_http_functions_when_asked()
    {
        var template = await CompiledTemplate.MainAsync();
        var warm = template.With(new Dictionary<string, JsonNode?> { ["alwaysReadyHttp"] = 2 });

        const string path = "properties.functionAppConfig.scaleAndConcurrency.alwaysReady";
        Assert.Empty(Assert.IsType<JsonArray>(template.FunctionApp.Value(path).Node));
        var ready = Assert.IsType<JsonObject>(Assert.Single(Assert.IsType<JsonArray>(warm.FunctionApp.Value(path).Node)));
        Assert.Equal("http", (string?)ready["name"]);
        Assert.Equal(2, (int?)ready["instanceCount"]);
    }

    [Fact]
    public async Task Function_app_runs_as_the_user_assigned_identity_and_deploys_from_its_blob_container()
    {
        var template = await CompiledTemplate.MainAsync();

        var app = template.FunctionApp;
        Assert.Equal("UserAssigned", app.Value("identity.type").AsString);
        var identities = Assert.IsType<JsonObject>(app.Raw("identity.userAssignedIdentities"));
        Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", Assert.Single(identities).Key);

        Assert.Equal("blobContainer", app.Value("properties.functionAppConfig.deployment.storage.type").AsString);
        Assert.Equal("UserAssignedIdentity", app.Value("properties.functionAppConfig.deployment.storage.authentication.type").AsString);
        var packageUrl = (string?)app.Raw("properties.functionAppConfig.deployment.storage.value");
        Assert.Contains("primaryEndpoints.blob", packageUrl);
        Assert.Contains("parameters('deploymentContainerName')", packageUrl);

        // The container the app deploys from is the one the storage module creates.
        var apiBinding = (string?)template.Module("api").Raw("properties.parameters.deploymentContainerName.value");
        var storageBinding = (string?)template.Module("storage").Raw("properties.parameters.deploymentContainerName.value");
        Assert.NotNull(apiBinding);
        Assert.Equal(apiBinding, storageBinding);
    }

    [Fact]
    public async Task Function_app_is_tagged_for_azd()
    {
        var template = (await CompiledTemplate.MainAsync()).With(new Dictionary<string, JsonNode?>
        {
            ["environmentName"] = "dev",
            ["location"] = "westeurope",
        });

        var tags = Assert.IsType<JsonObject>(template.FunctionApp.Value("tags").Node);
        Assert.Equal("api", (string?)tags["azd-service-name"]);
        Assert.Equal("dev", (string?)tags["azd-env-name"]);
        Assert.Equal("dev", template.Single("Microsoft.Resources/resourceGroups").Value("tags.azd-env-name").AsString);
    }

    [Fact]
    public async Task App_settings_set_every_setting_the_app_reads_in_Azure()
    {
        var template = await CompiledTemplate.MainAsync();

        var settings = template.AppSettings;
        var missing = SettingsContract.SetInAzure.Where(name => !settings.ContainsKey(name)).ToList();
        Assert.Empty(missing);
        Assert.All(SettingsContract.SetInAzure, name => Assert.False(string.IsNullOrWhiteSpace(settings[name]), name));
    }

    [Fact]
    public async Task App_settings_name_the_same_queue_containers_and_schedule_as_the_app_defaults()
    {
        var template = await CompiledTemplate.MainAsync();

        var settings = template.AppSettings;
        Assert.All(SettingsContract.ExpectedValues, expected => Assert.Equal(expected.Value, settings[expected.Key]));
    }

    [Fact]
    public async Task App_settings_hold_no_local_only_setting_and_nothing_Flex_Consumption_rejects()
    {
        var template = await CompiledTemplate.MainAsync();

        var settings = template.AppSettings;
        var localOnly = SettingsContract.LocalOnly.Where(settings.ContainsKey).ToList();
        Assert.Empty(localOnly);
        var rejected = SettingsContract.RejectedByFlexConsumption.Where(settings.ContainsKey).ToList();
        Assert.Empty(rejected);
        // Not anywhere else in the template either (siteConfig, other modules).
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", template.Json, StringComparison.Ordinal);
        Assert.DoesNotContain("FUNCTIONS_EXTENSION_VERSION", template.Json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"AzureWebJobsStorage\"", template.Json, StringComparison.Ordinal);
        Assert.DoesNotContain("FuncRec__Cosmos__ConnectionString", template.Json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Identity_based_settings_point_at_the_created_resources_and_the_app_identity()
    {
        var template = await CompiledTemplate.MainAsync();

        var settings = template.AppSettings;
        Assert.Contains("Microsoft.Storage/storageAccounts", settings["AzureWebJobsStorage__blobServiceUri"]);
        Assert.EndsWith(".primaryEndpoints.blob]", settings["AzureWebJobsStorage__blobServiceUri"]);
        Assert.EndsWith(".primaryEndpoints.queue]", settings["AzureWebJobsStorage__queueServiceUri"]);
        Assert.EndsWith(".primaryEndpoints.table]", settings["AzureWebJobsStorage__tableServiceUri"]);
        foreach (var name in new[] { "AzureWebJobsStorage__clientId", "AZURE_CLIENT_ID" })
        {
            Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", settings[name]);
            Assert.EndsWith(".clientId]", settings[name]);
        }

        Assert.Contains("Microsoft.DocumentDB/databaseAccounts", settings["FuncRec__Cosmos__Endpoint"]);
        Assert.EndsWith(".documentEndpoint]", settings["FuncRec__Cosmos__Endpoint"]);
        Assert.Contains("Microsoft.Insights/components", settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
        Assert.EndsWith(".ConnectionString]", settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
        Assert.Contains("Authorization=AAD", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
        Assert.Contains("ClientId=", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
        Assert.Contains(".clientId", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
    }

    [Fact]
    public void Settings_contract_covers_every_setting_in_docs_settings_md()
    {
        var documented = Regex.Matches(
                File.ReadAllText(RepositoryRoot.Combine("docs", "settings.md")),
                @"^\|\s*`([A-Za-z_][A-Za-z0-9_]*)`\s*\|",
                RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value)
            .ToHashSet(StringComparer.Ordinal);

        Assert.NotEmpty(documented);
        // Each documented setting is either set in Azure or explicitly local-only ...
        var unclassified = documented
            .Where(name => !SettingsContract.SetInAzure.Contains(name) && !SettingsContract.LocalOnly.Contains(name))
            .ToList();
        Assert.Empty(unclassified);
        // ... and the template sets nothing the app does not document, except what the platform reads.
        var undocumented = SettingsContract.SetInAzure
            .Where(name => !documented.Contains(name) && !SettingsContract.PlatformOnly.Contains(name))
            .ToList();
        Assert.Empty(undocumented);
    }
}
