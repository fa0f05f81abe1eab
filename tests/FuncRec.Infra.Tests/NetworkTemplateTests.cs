using System.Text.Json.Nodes;

namespace FuncRec.Infra.Tests;

public sealed class NetworkTemplateTests
{
    [Fact]
    public async Task No_network_is_deployed_by_default_and_data_services_stay_public()
    {
        var template = await CompiledTemplate.MainAsync();

        Assert.Empty(template.OfType("Microsoft.Network/virtualNetworks"));
        Assert.Equal("Enabled", template.Single("Microsoft.Storage/storageAccounts").Value("properties.publicNetworkAccess").AsString);
        Assert.Equal("Enabled", template.Single("Microsoft.DocumentDB/databaseAccounts").Value("properties.publicNetworkAccess").AsString);
    }

    [Fact]
    public async Task With_vnet_enabled_storage_and_cosmos_are_reached_through_private_endpoints_only()
    {
        var template = (await CompiledTemplate.MainAsync()).With(new Dictionary<string, JsonNode?> { ["vnetEnabled"] = true });

        Assert.Equal("Disabled", template.Single("Microsoft.Storage/storageAccounts").Value("properties.publicNetworkAccess").AsString);
        Assert.Equal("Deny", template.Single("Microsoft.Storage/storageAccounts").Value("properties.networkAcls.defaultAction").AsString);
        Assert.Equal("Disabled", template.Single("Microsoft.DocumentDB/databaseAccounts").Value("properties.publicNetworkAccess").AsString);

        var groups = template.OfType("Microsoft.Network/privateEndpoints")
            .Select(e => Assert.IsType<JsonArray>(e.Value("properties.privateLinkServiceConnections").Node))
            .Select(c => (string?)c[0]!["properties"]!["groupIds"]![0])
            .Order();
        Assert.Equal(new[] { "Sql", "blob", "queue", "table" }, groups);
        Assert.Equal(4, template.OfType("Microsoft.Network/privateEndpoints/privateDnsZoneGroups").Count());
        Assert.Equal(4, template.OfType("Microsoft.Network/privateDnsZones/virtualNetworkLinks").Count());
    }

    [Fact]
    public async Task With_vnet_enabled_the_app_joins_a_subnet_delegated_to_flex_consumption()
    {
        var template = (await CompiledTemplate.MainAsync()).With(new Dictionary<string, JsonNode?> { ["vnetEnabled"] = true });

        var vnet = template.Single("Microsoft.Network/virtualNetworks");
        var subnets = Assert.IsType<JsonArray>(vnet.Value("properties.subnets").Node);
        var app = Assert.Single(subnets, s => (string?)s!["name"] == "app")!;
        Assert.Equal("Microsoft.App/environments", (string?)app["properties"]!["delegations"]![0]!["properties"]!["serviceName"]);
        var binding = (string?)template.Module("api").Raw("properties.parameters.virtualNetworkSubnetId");
        Assert.Contains("outputs.appSubnetId.value", binding);
        Assert.Contains("virtualNetworkSubnetId", (string?)template.FunctionApp.Raw("properties.virtualNetworkSubnetId"));
    }
}
