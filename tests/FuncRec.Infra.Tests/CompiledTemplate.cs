using System.Text.Json.Nodes;

namespace FuncRec.Infra.Tests;

/// <summary>
/// infra/main.bicep compiled to ARM JSON, with modules (nested deployments) flattened and the template-only part of
/// expressions evaluated under given parameter values (the declared defaults unless overridden).
/// </summary>
public sealed class CompiledTemplate
{
    public const string DeploymentType = "Microsoft.Resources/deployments";
    public const string FunctionAppType = "Microsoft.Web/sites";

    private static readonly Lazy<Task<CompiledTemplate>> Main = new(async () =>
    {
        var build = await BicepCli.BuildMainAsync();
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException($"bicep build infra/main.bicep failed: {build.Describe()}");
        }

        return Parse(build.StandardOutput);
    });

    private CompiledTemplate(string json, IReadOnlyDictionary<string, JsonNode?>? parameters)
    {
        Json = json;
        Root = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("The compiled template is not a JSON object.");
        RootScope = new TemplateScope(Root, "", null, null, parameters);
        var resources = new List<TemplateResource>();
        Collect(RootScope, isDeployed: true, resources);
        AllResources = resources;
    }

    /// <summary>infra/main.bicep as compiled once per test run, with default parameters.</summary>
    public static Task<CompiledTemplate> MainAsync() => Main.Value;

    public static CompiledTemplate Parse(string json, IReadOnlyDictionary<string, JsonNode?>? parameters = null) =>
        new(json, parameters);

    /// <summary>The same template evaluated with some main-template parameters set.</summary>
    public CompiledTemplate With(IReadOnlyDictionary<string, JsonNode?> parameters) => new(Json, parameters);

    public string Json { get; }

    public JsonObject Root { get; }

    public TemplateScope RootScope { get; }

    /// <summary>Every resource declared anywhere in the deployment, whatever its condition.</summary>
    public IReadOnlyList<TemplateResource> AllResources { get; }

    /// <summary>The resources deployed under the evaluated parameters (conditions not known to be false).</summary>
    public IEnumerable<TemplateResource> DeployedResources => AllResources.Where(r => r.IsDeployed);

    public IEnumerable<TemplateResource> OfType(string type) =>
        DeployedResources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    public TemplateResource Single(string type)
    {
        var matches = OfType(type).ToList();
        return matches.Count == 1
            ? matches[0]
            : throw new InvalidOperationException($"Expected one deployed {type}, found {matches.Count}.");
    }

    public TemplateResource Module(string modulePath) =>
        DeployedResources.Single(r => r.Type == DeploymentType && ChildPath(r) == modulePath);

    public TemplateResource FunctionApp => Single(FunctionAppType);

    /// <summary>
    /// The Function App's app settings: the "appsettings" config resource and siteConfig.appSettings together.
    /// A value is the evaluated literal when the template alone determines it, else the raw "[expression]".
    /// </summary>
    public IReadOnlyDictionary<string, string> AppSettings
    {
        get
        {
            var settings = new Dictionary<string, string>(StringComparer.Ordinal);
            void Add(string name, JsonNode? raw, TemplateResource owner)
            {
                var value = owner.Evaluate(raw);
                var text = value.IsKnown ? value.Node is JsonValue v && v.TryGetValue<string>(out var s) ? s : value.Node?.ToJsonString() ?? "" : (string?)raw ?? "";
                if (!settings.TryAdd(name, text))
                {
                    throw new InvalidOperationException($"App setting {name} is set twice.");
                }
            }

            foreach (var config in OfType("Microsoft.Web/sites/config").Where(c => c.LeafName == "appsettings"))
            {
                foreach (var (name, raw) in (JsonObject)config.Raw("properties")!)
                {
                    Add(name, raw, config);
                }
            }

            if (FunctionApp.Raw("properties.siteConfig.appSettings") is JsonArray inline)
            {
                foreach (var setting in inline.OfType<JsonObject>())
                {
                    Add((string)setting["name"]!, setting["value"], FunctionApp);
                }
            }

            return settings;
        }
    }

    /// <summary>Every role assignment declared anywhere (ARM RBAC and Cosmos DB data plane), whatever its condition.</summary>
    public IReadOnlyList<RoleAssignment> RoleAssignments => AllResources
        .Where(r => r.Type is RoleAssignment.ArmType or RoleAssignment.CosmosSqlType)
        .Select(r => new RoleAssignment(r))
        .ToList();

    public IReadOnlyCollection<string> OutputNames =>
        Root["outputs"] is JsonObject outputs ? outputs.Select(o => o.Key).ToList() : [];

    /// <summary>The main template's parameter declarations.</summary>
    public JsonObject Parameters => Root["parameters"] as JsonObject ?? [];

    private static string ChildPath(TemplateResource deployment) =>
        string.IsNullOrEmpty(deployment.ModulePath)
            ? deployment.LeafName ?? deployment.RawName
            : $"{deployment.ModulePath}/{deployment.LeafName ?? deployment.RawName}";

    private static void Collect(TemplateScope scope, bool isDeployed, List<TemplateResource> into)
    {
        IEnumerable<JsonNode?> declared = scope.Template["resources"] switch
        {
            JsonArray array => array,
            JsonObject symbolic => symbolic.Select(r => r.Value), // languageVersion 2.0
            _ => [],
        };

        foreach (var json in declared.OfType<JsonObject>())
        {
            if (json["existing"] is JsonValue existing && existing.GetValue<bool>())
            {
                continue;
            }

            var count = json["copy"] is JsonObject copy ? scope.Evaluate(copy["count"]).AsInteger : null;
            var indices = json["copy"] is null ? [(int?)null]
                : count is { } n ? Enumerable.Range(0, (int)n).Select(i => (int?)i).ToList()
                : [(int?)null];

            foreach (var index in indices)
            {
                var condition = json["condition"] is { } c ? scope.Evaluate(c, index).AsBoolean : true;
                var resource = new TemplateResource(json, scope, index, isDeployed && condition != false);
                into.Add(resource);

                if (resource.Type == DeploymentType && resource.Raw("properties.template") is JsonObject template)
                {
                    var child = new TemplateScope(
                        template, ChildPath(resource), scope, resource.Raw("properties.parameters") as JsonObject, null);
                    Collect(child, resource.IsDeployed, into);
                }
            }
        }
    }
}
