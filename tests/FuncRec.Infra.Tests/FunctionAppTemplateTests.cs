using System.Text.Json.Nodes;

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
    public async Task App_settings_have_no_empty_value()
    {
        // Which settings must be set, and with what, is derived from the app's code: SettingsDerivationTests.
        var template = await CompiledTemplate.MainAsync();

        var empty = template.AppSettings.Where(s => string.IsNullOrWhiteSpace(s.Value)).Select(s => s.Key).ToList();
        Assert.True(empty.Count == 0, $"App settings with an empty value: {string.Join(", ", empty)}");
    }

    [Fact]
    public async Task App_settings_hold_nothing_Flex_Consumption_rejects_and_no_connection_string()
    {
        // Local-only settings in general: SettingsDerivationTests.
        var template = await CompiledTemplate.MainAsync();

        var settings = template.AppSettings;
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
}
