using System.Text.Json.Nodes;

namespace FuncRec.Infra.Tests;

public sealed class RoleAssignmentTests
{
    private const string StorageAccount = "Microsoft.Storage/storageAccounts";
    private const string ApplicationInsights = "Microsoft.Insights/components";
    private const string CosmosAccount = "Microsoft.DocumentDB/databaseAccounts";

    private const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";
    private const string CosmosBuiltInDataContributor = "00000000-0000-0000-0000-000000000002";

    private const string AppIdentityModule = "rbac";
    private const string DeveloperModule = "developer-rbac";

    [Fact]
    public async Task App_identity_gets_exactly_the_data_roles_it_needs_each_on_its_resource()
    {
        var template = await CompiledTemplate.MainAsync();

        var granted = template.RoleAssignments
            .Where(a => a.Resource.ModulePath == AppIdentityModule)
            .Select(a => $"{a.RoleDefinitionGuid} on {a.ScopeResourceType}")
            .Order()
            .ToList();

        string[] expected =
        [
            $"{StorageBlobDataOwner} on {StorageAccount}",
            $"{StorageQueueDataContributor} on {StorageAccount}",
            $"{StorageTableDataContributor} on {StorageAccount}",
            $"{MonitoringMetricsPublisher} on {ApplicationInsights}",
            $"{CosmosBuiltInDataContributor} on {CosmosAccount}",
        ];
        Assert.Equal(expected.Order(), granted);
    }

    [Fact]
    public async Task App_role_assignments_go_to_the_app_identity_as_a_service_principal()
    {
        var template = await CompiledTemplate.MainAsync();

        var binding = (string?)template.Module(AppIdentityModule).Raw("properties.parameters.principalId.value");
        Assert.Contains("'identity'", binding);
        Assert.EndsWith(".outputs.principalId.value]", binding);
        var assignments = template.RoleAssignments.Where(a => a.Resource.ModulePath == AppIdentityModule).ToList();
        Assert.All(assignments, a => Assert.Equal("parameters('principalId')", a.PrincipalIdExpression.Text));
        Assert.All(assignments.Where(a => !a.IsCosmosSql), a => Assert.Equal("ServicePrincipal", a.PrincipalType));
    }

    [Fact]
    public async Task Every_role_assignment_is_scoped_to_a_single_resource_never_a_group_or_subscription()
    {
        var template = await CompiledTemplate.MainAsync();

        var assignments = template.RoleAssignments;
        Assert.NotEmpty(assignments);
        Assert.All(assignments, a =>
        {
            Assert.NotNull(a.ScopeExpression);
            Assert.Contains(a.ScopeResourceType, new[] { StorageAccount, ApplicationInsights, CosmosAccount });
        });
    }

    [Fact]
    public async Task Role_assignment_names_are_guid_of_scope_principal_and_role()
    {
        var template = await CompiledTemplate.MainAsync();

        Assert.All(template.RoleAssignments, a =>
        {
            var arguments = a.NameGuidArguments;
            Assert.NotNull(arguments);
            Assert.Equal(3, arguments.Count);
            Assert.Equal(a.ScopeExpression!.Text, arguments[0].Text);
            Assert.Equal(a.PrincipalIdExpression.Text, arguments[1].Text);
            Assert.Equal(a.RoleDefinitionGuid, a.Resource.Evaluate(arguments[2]).AsString);
        });
    }

    [Fact]
    public async Task Cosmos_data_plane_role_uses_the_built_in_data_contributor_definition_of_the_account()
    {
        var template = await CompiledTemplate.MainAsync();

        var cosmos = Assert.Single(template.RoleAssignments, a => a.IsCosmosSql && a.Resource.ModulePath == AppIdentityModule);
        var definition = (string)cosmos.Resource.Raw("properties.roleDefinitionId")!;
        Assert.Contains("Microsoft.DocumentDB/databaseAccounts", definition);
        Assert.Contains("/sqlRoleDefinitions/", definition);
        Assert.Equal(CosmosBuiltInDataContributor, cosmos.RoleDefinitionGuid);
    }

    [Fact]
    public async Task Developer_gets_data_access_only_when_a_principal_id_is_given()
    {
        var template = await CompiledTemplate.MainAsync();
        var withDeveloper = template.With(new Dictionary<string, JsonNode?> { ["principalId"] = "11111111-1111-1111-1111-111111111111" });

        Assert.DoesNotContain(template.DeployedResources, r => r.ModulePath == DeveloperModule);
        var granted = withDeveloper.RoleAssignments
            .Where(a => a.Resource.ModulePath == DeveloperModule && a.Resource.IsDeployed)
            .Select(a => a.RoleDefinitionGuid)
            .Order();
        Assert.Equal(new[] { StorageBlobDataOwner, StorageQueueDataContributor, CosmosBuiltInDataContributor }.Order(), granted);
    }
}
