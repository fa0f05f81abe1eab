using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FuncRec.Infra.Tests;

/// <summary>One resource declaration of the compiled template (one instance of a copy loop when its count is known).</summary>
public sealed partial class TemplateResource
{
    internal TemplateResource(JsonObject json, TemplateScope scope, int? copyIndex, bool isDeployed)
    {
        Json = json;
        Scope = scope;
        CopyIndex = copyIndex;
        IsDeployed = isDeployed;
    }

    public JsonObject Json { get; }

    public TemplateScope Scope { get; }

    public int? CopyIndex { get; }

    /// <summary>False when its condition, or that of a module it is in, is false under the evaluated parameters.</summary>
    public bool IsDeployed { get; }

    public string ModulePath => Scope.ModulePath;

    public string Type => (string)Json["type"]!;

    public string ApiVersion => (string?)Json["apiVersion"] ?? "";

    public string RawName => (string)Json["name"]!;

    /// <summary>The resource's own name (the last segment of a child resource's name) as an expression.</summary>
    public ArmExpression LeafNameExpression
    {
        get
        {
            var name = ArmExpression.Parse(RawName);
            switch (name)
            {
                case ArmExpression.Literal { AsString: { } literal }:
                    return new ArmExpression.Literal(JsonValue.Create(literal.Split('/')[^1]));
                case ArmExpression.Call call when call.Is("format")
                    && call.Arguments is [ArmExpression.Literal { AsString: { } format }, ..]
                    && SegmentedFormat().Match(format) is { Success: true } match:
                    var last = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                    return call.Arguments[last + 1];
                default:
                    return name;
            }
        }
    }

    /// <summary>The resource's own name when the template alone determines it.</summary>
    public string? LeafName => Evaluate(LeafNameExpression).AsString?.Split('/')[^1];

    public ArmValue Evaluate(JsonNode? node) => Scope.Evaluate(node, CopyIndex);

    public ArmValue Evaluate(ArmExpression expression) => Scope.Evaluate(expression, CopyIndex);

    /// <summary>
    /// The evaluated value at a dotted path from the resource root, e.g. "properties.functionAppConfig.runtime.name";
    /// expressions met on the way are evaluated before going further.
    /// </summary>
    public ArmValue Value(string path)
    {
        JsonNode? current = Json;
        foreach (var segment in path.Split('.'))
        {
            if (current is JsonValue value && value.TryGetValue<string>(out var text) && ArmExpression.IsExpression(text))
            {
                var evaluated = Evaluate(current);
                if (!evaluated.IsKnown)
                {
                    return ArmValue.Unknown;
                }

                current = evaluated.Node;
            }

            if (current is not JsonObject obj || !TemplateScope.TryGet(obj, segment, out current))
            {
                return ArmValue.Known(null);
            }
        }

        return Evaluate(current);
    }

    /// <summary>The compiled (unevaluated) JSON at a dotted path from the resource root, or null.</summary>
    public JsonNode? Raw(string path)
    {
        JsonNode? current = Json;
        foreach (var segment in path.Split('.'))
        {
            if (current is not JsonObject obj || !TemplateScope.TryGet(obj, segment, out current))
            {
                return null;
            }
        }

        return current;
    }

    public override string ToString() => $"{Type} {RawName} (module '{ModulePath}')";

    // "{0}/{1}/{2}": a child resource name made of its parents' names and its own, the last placeholder.
    [GeneratedRegex(@"^(?:\{\d+\}/)*\{(\d+)\}$")]
    private static partial Regex SegmentedFormat();
}
