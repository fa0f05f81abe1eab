namespace FuncRec.Infra.Tests;

/// <summary>An Azure RBAC role assignment or a Cosmos DB SQL (data-plane) role assignment in the compiled template.</summary>
public sealed class RoleAssignment(TemplateResource resource)
{
    public const string ArmType = "Microsoft.Authorization/roleAssignments";
    public const string CosmosSqlType = "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments";

    public TemplateResource Resource { get; } = resource;

    public bool IsCosmosSql => string.Equals(Resource.Type, CosmosSqlType, StringComparison.OrdinalIgnoreCase);

    /// <summary>The role definition's GUID (the last segment of the role definition id).</summary>
    public string? RoleDefinitionGuid
    {
        get
        {
            var raw = Resource.Raw("properties.roleDefinitionId");
            var value = Resource.Evaluate(raw);
            if (value.AsString is { } known)
            {
                return known.Split('/')[^1];
            }

            return raw is not null
                && ArmExpression.Parse((string)raw!) is ArmExpression.Call { Arguments.Count: > 0 } call
                && Resource.Evaluate(call.Arguments[^1]).AsString is { } last
                ? last.Split('/')[^1]
                : null;
        }
    }

    /// <summary>
    /// What the assignment is scoped to: the ARM "scope" of an extension resource, the properties.scope of a Cosmos
    /// SQL role assignment; null when it has none (the resource group or subscription of its deployment).
    /// </summary>
    public ArmExpression? ScopeExpression =>
        (IsCosmosSql ? Resource.Raw("properties.scope") : Resource.Raw("scope")) is { } scope
            ? ArmExpression.Parse((string)scope!)
            : null;

    /// <summary>The resource type of the scope when it is a single resource, e.g. Microsoft.Storage/storageAccounts.</summary>
    public string? ScopeResourceType => ScopeExpression switch
    {
        ArmExpression.Call call when call.Is("resourceId") && call.Arguments is [ArmExpression.Literal { AsString: { } type }, ..] => type,
        ArmExpression.Call call when call.Is("format") && call.Arguments is [ArmExpression.Literal { AsString: { } format }, ..]
            && format.EndsWith("/{0}", StringComparison.Ordinal) && format.Split('/').Length == 3 => format[..^4],
        _ => null,
    };

    public ArmExpression PrincipalIdExpression => ArmExpression.Parse((string)Resource.Raw("properties.principalId")!);

    public string? PrincipalType => Resource.Value("properties.principalType").AsString;

    /// <summary>The arguments of guid(...) when the assignment's own name is one, else null.</summary>
    public IReadOnlyList<ArmExpression>? NameGuidArguments =>
        Resource.LeafNameExpression is ArmExpression.Call call && call.Is("guid") ? call.Arguments : null;

    public override string ToString() => $"{Resource} role {RoleDefinitionGuid} on {ScopeExpression}";
}
