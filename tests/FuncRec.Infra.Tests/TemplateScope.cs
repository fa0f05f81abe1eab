using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FuncRec.Infra.Tests;

/// <summary>
/// One template of a compiled deployment (the main template or a module's nested template) with the parameter values
/// it receives, able to evaluate the pure part of ARM expressions.
/// </summary>
public sealed partial class TemplateScope
{
    private readonly TemplateScope? _parent;
    private readonly JsonObject? _bindings;
    private readonly IReadOnlyDictionary<string, JsonNode?> _overrides;
    private readonly Dictionary<string, ArmValue> _parameters = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, ArmValue> _variables = new(StringComparer.OrdinalIgnoreCase);

    internal TemplateScope(
        JsonObject template,
        string modulePath,
        TemplateScope? parent,
        JsonObject? bindings,
        IReadOnlyDictionary<string, JsonNode?>? overrides)
    {
        Template = template;
        ModulePath = modulePath;
        _parent = parent;
        _bindings = bindings;
        _overrides = overrides ?? new Dictionary<string, JsonNode?>();
    }

    public JsonObject Template { get; }

    /// <summary>"" for the main template, "api" for module api, "a/b" for module b inside module a.</summary>
    public string ModulePath { get; }

    public ArmValue Parameter(string name)
    {
        if (!_parameters.TryGetValue(name, out var value))
        {
            value = ResolveParameter(name);
            _parameters[name] = value;
        }

        return ArmValue.Known(value.Node) with { IsKnown = value.IsKnown };
    }

    public ArmValue Variable(string name)
    {
        if (!_variables.TryGetValue(name, out var value))
        {
            value = Template["variables"] is JsonObject variables && TryGet(variables, name, out var node)
                ? Evaluate(node)
                : throw new KeyNotFoundException($"Variable '{name}' is not declared in module '{ModulePath}'.");
            _variables[name] = value;
        }

        return ArmValue.Known(value.Node) with { IsKnown = value.IsKnown };
    }

    /// <summary>
    /// Evaluates every expression in a JSON value. Objects and arrays keep the raw text of the parts that are
    /// unknown, and are known only when every part is.
    /// </summary>
    public ArmValue Evaluate(JsonNode? node, int? copyIndex = null)
    {
        switch (node)
        {
            case null:
                return ArmValue.Known(null);
            case JsonValue value when value.TryGetValue<string>(out var text):
                return Evaluate(ArmExpression.Parse(text), copyIndex);
            case JsonValue value:
                return ArmValue.Known(value);
            case JsonObject obj:
            {
                var result = new JsonObject();
                var known = true;
                foreach (var (key, child) in obj)
                {
                    var evaluated = Evaluate(child, copyIndex);
                    known &= evaluated.IsKnown;
                    result[key] = evaluated.IsKnown || evaluated.Node is not null ? evaluated.Node : child?.DeepClone();
                }

                return new ArmValue(known, result);
            }

            case JsonArray array:
            {
                var result = new JsonArray();
                var known = true;
                foreach (var child in array)
                {
                    var evaluated = Evaluate(child, copyIndex);
                    known &= evaluated.IsKnown;
                    result.Add(evaluated.IsKnown || evaluated.Node is not null ? evaluated.Node : child?.DeepClone());
                }

                return new ArmValue(known, result);
            }

            default:
                return ArmValue.Unknown;
        }
    }

    public ArmValue Evaluate(ArmExpression expression, int? copyIndex = null)
    {
        switch (expression)
        {
            case ArmExpression.Literal literal:
                return ArmValue.Known(literal.Value);
            case ArmExpression.Member member:
            {
                var target = Evaluate(member.Target, copyIndex);
                return target.Node is JsonObject obj && TryGet(obj, member.Name, out var value)
                    ? Part(target, value)
                    : ArmValue.Unknown;
            }

            case ArmExpression.Index index:
            {
                var target = Evaluate(index.Target, copyIndex);
                var key = Evaluate(index.Key, copyIndex);
                return target.Node switch
                {
                    JsonArray array when key.AsInteger is { } i && i >= 0 && i < array.Count => Part(target, array[(int)i]),
                    JsonObject obj when key.AsString is { } name && TryGet(obj, name, out var value) => Part(target, value),
                    _ => ArmValue.Unknown,
                };
            }

            case ArmExpression.Call call:
                return EvaluateCall(call, copyIndex);
            default:
                return ArmValue.Unknown;
        }
    }

    /// <summary>
    /// A part of a known or partly known object or array. In a partly known one, unknown parts were left as their raw
    /// expression text, so an expression-looking string there counts as unknown.
    /// </summary>
    private static ArmValue Part(ArmValue container, JsonNode? part)
    {
        if (container.IsKnown)
        {
            return ArmValue.Known(part);
        }

        return part switch
        {
            JsonValue v when v.TryGetValue<string>(out var text) && ArmExpression.IsExpression(text) => ArmValue.Unknown,
            JsonObject or JsonArray => new ArmValue(!ContainsExpression(part), part.DeepClone()),
            _ => ArmValue.Known(part),
        };
    }

    private static bool ContainsExpression(JsonNode? node) => node switch
    {
        JsonValue v => v.TryGetValue<string>(out var text) && ArmExpression.IsExpression(text),
        JsonObject obj => obj.Any(p => ContainsExpression(p.Value)),
        JsonArray array => array.Any(ContainsExpression),
        _ => false,
    };

    private ArmValue ResolveParameter(string name)
    {
        if (_parent is null && _overrides.TryGetValue(name, out var overridden))
        {
            return ArmValue.Known(overridden);
        }

        if (_parent is not null && _bindings is not null && TryGet(_bindings, name, out var binding))
        {
            switch (binding)
            {
                case JsonObject obj when TryGet(obj, "value", out var value):
                    return _parent.Evaluate(value);
                case JsonValue:
                    // The whole binding is an expression, e.g. [if(cond, createObject('value', a), createObject('value', b))].
                    var evaluated = _parent.Evaluate(binding);
                    return evaluated.IsKnown && evaluated.Node is JsonObject bound && TryGet(bound, "value", out var inner)
                        ? ArmValue.Known(inner)
                        : ArmValue.Unknown;
                default:
                    return ArmValue.Unknown;
            }
        }

        if (Template["parameters"] is JsonObject declared && TryGet(declared, name, out var declaration))
        {
            return declaration is JsonObject d && TryGet(d, "defaultValue", out var defaultValue)
                ? Evaluate(defaultValue)
                : ArmValue.Unknown;
        }

        throw new KeyNotFoundException($"Parameter '{name}' is not declared in module '{ModulePath}'.");
    }

    private ArmValue EvaluateCall(ArmExpression.Call call, int? copyIndex)
    {
        var name = call.Name.ToLowerInvariant();
        switch (name)
        {
            case "parameters":
                return call.Arguments is [ArmExpression.Literal { AsString: { } parameter }] ? Parameter(parameter) : ArmValue.Unknown;
            case "variables":
                return call.Arguments is [ArmExpression.Literal { AsString: { } variable }] ? Variable(variable) : ArmValue.Unknown;
            case "copyindex":
            {
                if (copyIndex is null)
                {
                    return ArmValue.Unknown;
                }

                var offset = call.Arguments.LastOrDefault() is { } last ? Evaluate(last).AsInteger ?? 0 : 0;
                return ArmValue.Known(JsonValue.Create(copyIndex.Value + offset));
            }

            case "length" when call.Arguments.Count == 1:
            {
                // The length of an array or object is known even when some of its elements are not.
                var target = Evaluate(call.Arguments[0], copyIndex);
                return target.Node switch
                {
                    JsonArray array => ArmValue.Known(JsonValue.Create((long)array.Count)),
                    JsonObject obj => ArmValue.Known(JsonValue.Create((long)obj.Count)),
                    _ when target.AsString is { } text => ArmValue.Known(JsonValue.Create((long)text.Length)),
                    _ => ArmValue.Unknown,
                };
            }

            case "if":
            {
                if (call.Arguments.Count != 3 || Evaluate(call.Arguments[0], copyIndex).AsBoolean is not { } condition)
                {
                    return ArmValue.Unknown;
                }

                return Evaluate(call.Arguments[condition ? 1 : 2], copyIndex);
            }
        }

        var arguments = new List<JsonNode?>();
        foreach (var argument in call.Arguments)
        {
            var value = Evaluate(argument, copyIndex);
            if (!value.IsKnown)
            {
                return ArmValue.Unknown;
            }

            arguments.Add(value.Node);
        }

        var result = Apply(name, arguments);
        return result.IsKnown ? result : ArmValue.Unknown;
    }

    private static ArmValue Apply(string function, List<JsonNode?> args)
    {
        switch (function)
        {
            case "true":
                return ArmValue.Known(JsonValue.Create(true));
            case "false":
                return ArmValue.Known(JsonValue.Create(false));
            case "null":
                return ArmValue.Known(null);
            case "string" when args.Count == 1:
                return ArmValue.Known(JsonValue.Create(AsText(args[0])));
            case "int" when args.Count == 1:
                return Integer(args[0]) is { } integer ? ArmValue.Known(JsonValue.Create(integer))
                    : AsString(args[0]) is { } digits && long.TryParse(digits, CultureInfo.InvariantCulture, out var parsed) ? ArmValue.Known(JsonValue.Create(parsed))
                    : ArmValue.Unknown;
            case "bool" when args.Count == 1:
                return Boolean(args[0]) is { } boolean ? ArmValue.Known(JsonValue.Create(boolean))
                    : AsString(args[0]) is { } t && bool.TryParse(t, out var parsedBool) ? ArmValue.Known(JsonValue.Create(parsedBool))
                    : ArmValue.Unknown;
            case "format" when args.Count >= 1 && AsString(args[0]) is { } format:
                return Format(format, args.Skip(1).ToList());
            case "concat" when args.All(a => a is JsonArray):
                return ArmValue.Known(new JsonArray(args.SelectMany(a => ((JsonArray)a!).Select(e => e?.DeepClone())).ToArray()));
            case "concat":
                return ArmValue.Known(JsonValue.Create(string.Concat(args.Select(AsText))));
            case "tolower" when AsString(args.Single()) is { } lower:
                return ArmValue.Known(JsonValue.Create(lower.ToLowerInvariant()));
            case "toupper" when AsString(args.Single()) is { } upper:
                return ArmValue.Known(JsonValue.Create(upper.ToUpperInvariant()));
            case "equals" when args.Count == 2:
                return ArmValue.Known(JsonValue.Create(JsonNode.DeepEquals(args[0], args[1])));
            case "not" when Boolean(args.Single()) is { } negated:
                return ArmValue.Known(JsonValue.Create(!negated));
            case "and" when args.All(a => Boolean(a) is not null):
                return ArmValue.Known(JsonValue.Create(args.All(a => Boolean(a)!.Value)));
            case "or" when args.All(a => Boolean(a) is not null):
                return ArmValue.Known(JsonValue.Create(args.Any(a => Boolean(a)!.Value)));
            case "empty" when args.Count == 1:
                return ArmValue.Known(JsonValue.Create(args[0] switch
                {
                    null => true,
                    JsonArray a => a.Count == 0,
                    JsonObject o => o.Count == 0,
                    _ => AsString(args[0]) is { Length: 0 },
                }));
            case "createarray":
                return ArmValue.Known(new JsonArray(args.Select(a => a?.DeepClone()).ToArray()));
            case "createobject" when args.Count % 2 == 0:
            {
                var obj = new JsonObject();
                for (var i = 0; i < args.Count; i += 2)
                {
                    if (AsString(args[i]) is not { } key)
                    {
                        return ArmValue.Unknown;
                    }

                    obj[key] = args[i + 1]?.DeepClone();
                }

                return ArmValue.Known(obj);
            }

            case "union" when args.All(a => a is JsonObject):
            {
                var merged = new JsonObject();
                foreach (var obj in args.Cast<JsonObject>())
                {
                    foreach (var (key, value) in obj)
                    {
                        merged[key] = value?.DeepClone();
                    }
                }

                return ArmValue.Known(merged);
            }

            case "coalesce":
                return ArmValue.Known(args.FirstOrDefault(a => a is not null));
            case "take" when args.Count == 2 && Integer(args[1]) is { } count:
                return args[0] switch
                {
                    JsonArray a => ArmValue.Known(new JsonArray(a.Take((int)count).Select(e => e?.DeepClone()).ToArray())),
                    _ when AsString(args[0]) is { } text => ArmValue.Known(JsonValue.Create(text[..(int)Math.Min(count, text.Length)])),
                    _ => ArmValue.Unknown,
                };
            case "contains" when args.Count == 2:
                return args[0] switch
                {
                    JsonArray a => ArmValue.Known(JsonValue.Create(a.Any(e => JsonNode.DeepEquals(e, args[1])))),
                    JsonObject o when AsString(args[1]) is { } key => ArmValue.Known(JsonValue.Create(TryGet(o, key, out _))),
                    _ when AsString(args[0]) is { } text && AsString(args[1]) is { } part =>
                        ArmValue.Known(JsonValue.Create(text.Contains(part, StringComparison.OrdinalIgnoreCase))),
                    _ => ArmValue.Unknown,
                };
            case "add" or "sub" or "mul" or "div" or "mod" when args.Count == 2 && Integer(args[0]) is { } x && Integer(args[1]) is { } y:
                return ArmValue.Known(JsonValue.Create(function switch
                {
                    "add" => x + y,
                    "sub" => x - y,
                    "mul" => x * y,
                    "div" => x / y,
                    _ => x % y,
                }));
            case "greater" or "greaterorequals" or "less" or "lessorequals" when args.Count == 2 && Integer(args[0]) is { } left && Integer(args[1]) is { } right:
                return ArmValue.Known(JsonValue.Create(function switch
                {
                    "greater" => left > right,
                    "greaterorequals" => left >= right,
                    "less" => left < right,
                    _ => left <= right,
                }));
            default:
                // Deployment-dependent (resourceId, reference, uniqueString, guid, subscription, ...) or not modelled.
                return ArmValue.Unknown;
        }
    }

    private static ArmValue Format(string format, List<JsonNode?> args)
    {
        var known = true;
        var text = FormatItem().Replace(format, match =>
        {
            var i = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            if (match.Groups[2].Success || i >= args.Count)
            {
                known = false;
                return match.Value;
            }

            return AsText(args[i]);
        });
        return known ? ArmValue.Known(JsonValue.Create(text)) : ArmValue.Unknown;
    }

    private static string? AsString(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static long? Integer(JsonNode? node) => ArmValue.Known(node).AsInteger;

    private static bool? Boolean(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>() : null;

    private static string AsText(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>() ? "True" : "False",
        _ => node.ToJsonString(),
    };

    internal static bool TryGet(JsonObject obj, string name, out JsonNode? value)
    {
        foreach (var (key, child) in obj)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                value = child;
                return true;
            }
        }

        value = null;
        return false;
    }

    [GeneratedRegex(@"\{(\d+)(:[^}]*)?\}")]
    private static partial Regex FormatItem();
}
