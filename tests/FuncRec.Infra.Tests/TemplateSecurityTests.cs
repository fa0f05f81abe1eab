using System.Text.RegularExpressions;

namespace FuncRec.Infra.Tests;

public sealed class TemplateSecurityTests
{
    [Fact]
    public async Task Template_calls_no_list_function_so_no_key_is_ever_read()
    {
        var template = await CompiledTemplate.MainAsync();

        // listKeys, listkeys, listConnectionStrings, listAccountSas, listSecrets, ...
        var calls = Regex.Matches(template.Json, @"\blist[A-Za-z]*\s*\(", RegexOptions.IgnoreCase).Select(m => m.Value);
        Assert.Empty(calls);
    }

    [Fact]
    public async Task Template_contains_no_connection_string_or_key_material()
    {
        var template = await CompiledTemplate.MainAsync();

        foreach (var marker in new[] { "AccountKey=", "DefaultEndpointsProtocol", "AccountEndpoint=", "SharedAccessSignature", "InstrumentationKey=" })
        {
            Assert.DoesNotContain(marker, template.Json, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Storage_account_accepts_only_Entra_identities_over_TLS_1_2()
    {
        var template = await CompiledTemplate.MainAsync();

        var storage = Assert.Single(template.AllResources, r => r.Type == "Microsoft.Storage/storageAccounts");
        Assert.False(storage.Value("properties.allowSharedKeyAccess").AsBoolean);
        Assert.Equal("TLS1_2", storage.Value("properties.minimumTlsVersion").AsString);
        Assert.False(storage.Value("properties.allowBlobPublicAccess").AsBoolean);
        Assert.True(storage.Value("properties.supportsHttpsTrafficOnly").AsBoolean);
        Assert.True(storage.Value("properties.defaultToOAuthAuthentication").AsBoolean);
    }

    [Fact]
    public async Task Blob_containers_are_private()
    {
        var template = await CompiledTemplate.MainAsync();

        var containers = template.OfType("Microsoft.Storage/storageAccounts/blobServices/containers").ToList();
        Assert.NotEmpty(containers);
        Assert.All(containers, c => Assert.Equal("None", c.Value("properties.publicAccess").AsString));
    }

    [Fact]
    public async Task Cosmos_account_has_key_auth_disabled()
    {
        var template = await CompiledTemplate.MainAsync();

        var cosmos = Assert.Single(template.AllResources, r => r.Type == "Microsoft.DocumentDB/databaseAccounts");
        Assert.True(cosmos.Value("properties.disableLocalAuth").AsBoolean);
        Assert.True(cosmos.Value("properties.disableKeyBasedMetadataWriteAccess").AsBoolean);
        Assert.Equal("Tls12", cosmos.Value("properties.minimalTlsVersion").AsString);
    }

    [Fact]
    public async Task Application_Insights_has_local_auth_disabled_and_a_workspace()
    {
        var template = await CompiledTemplate.MainAsync();

        var insights = Assert.Single(template.AllResources, r => r.Type == "Microsoft.Insights/components");
        Assert.True(insights.Value("properties.DisableLocalAuth").AsBoolean);
        Assert.Contains("Microsoft.OperationalInsights/workspaces", (string?)insights.Raw("properties.WorkspaceResourceId"));
        var workspace = Assert.Single(template.AllResources, r => r.Type == "Microsoft.OperationalInsights/workspaces");
        Assert.True(workspace.Value("properties.features.disableLocalAuth").AsBoolean);
    }

    [Fact]
    public async Task Function_app_is_https_only_and_takes_no_publishing_passwords()
    {
        var template = await CompiledTemplate.MainAsync();

        var app = template.FunctionApp;
        Assert.True(app.Value("properties.httpsOnly").AsBoolean);
        Assert.Equal("1.2", app.Value("properties.siteConfig.minTlsVersion").AsString);
        var policies = template.OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();
        Assert.Equal(["ftp", "scm"], policies.Select(p => p.LeafName).Order());
        Assert.All(policies, p => Assert.False(p.Value("properties.allow").AsBoolean));
    }
}
