using System.Globalization;
using System.Text.Json;
using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Core.Data;

namespace FuncRec.Application.Services;

/// <summary>An event of a posted batch that was refused, with its index, the field at fault and why.</summary>
public sealed record RejectedEvent(int Index, string Field, string Reason);

/// <summary>
/// Reads one posted event from JSON with exact field-level errors (a typed deserializer would only say "invalid
/// JSON"): ids are non-empty printable strings within the length limit, the type is a known one, a value is a
/// finite number (required for ratings), a timestamp is ISO-8601 or Unix seconds, context is a small object of
/// scalar values. An event without an eventId gets one here.
/// </summary>
public sealed class EventParser(IngestOptions options)
{
    public bool TryParse(JsonElement element, int index, out AcceptedEvent? accepted, out RejectedEvent? rejected)
    {
        try
        {
            return TryParseEvent(element, index, out accepted, out rejected);
        }
        catch (InvalidOperationException exception)
        {
            // JSON syntax allows string escapes that are not valid UTF-16 (an unpaired surrogate such as "\udfff");
            // reading such a name or value throws, and that is this event's fault, not the request's or the server's.
            accepted = null;
            rejected = new RejectedEvent(index, $"[{index}]", $"the event holds text that is not valid UTF-16: {exception.Message}");
            return false;
        }
    }

    private bool TryParseEvent(JsonElement element, int index, out AcceptedEvent? accepted, out RejectedEvent? rejected)
    {
        accepted = null;
        rejected = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            rejected = new RejectedEvent(index, $"[{index}]", "an event must be a JSON object");
            return false;
        }

        string? Fail(string field, string reason)
        {
            return $"{field}\n{reason}";
        }

        string? problem = null;
        var eventId = ReadId(element, "eventId", required: false, ref problem);
        var userId = ReadId(element, "userId", required: true, ref problem);
        var itemId = ReadId(element, "itemId", required: true, ref problem);
        string? type = null;
        if (problem is null)
        {
            if (!element.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
            {
                problem = Fail("type", $"type is required and must be one of {string.Join(", ", EventTypes.All)}");
            }
            else if (!EventTypes.IsKnown(type = typeElement.GetString()))
            {
                problem = Fail("type", $"'{type}' is not one of {string.Join(", ", EventTypes.All)}");
            }
        }

        float? value = null;
        if (problem is null && element.TryGetProperty("value", out var valueElement) && valueElement.ValueKind != JsonValueKind.Null)
        {
            if (valueElement.ValueKind != JsonValueKind.Number || !valueElement.TryGetDouble(out var number) || !double.IsFinite(number) || Math.Abs(number) > 1e6)
            {
                problem = Fail("value", "value must be a finite number within ±1e6");
            }
            else
            {
                value = (float)number;
            }
        }

        if (problem is null && type == EventTypes.Rating && value is null)
        {
            problem = Fail("value", "a rating needs a value");
        }

        DateTimeOffset? timestamp = null;
        if (problem is null && element.TryGetProperty("timestamp", out var timeElement) && timeElement.ValueKind != JsonValueKind.Null)
        {
            if (timeElement.ValueKind == JsonValueKind.Number && timeElement.TryGetInt64(out var seconds) && seconds is >= 0 and <= 253402300799)
            {
                timestamp = DateTimeOffset.FromUnixTimeSeconds(seconds);
            }
            else if (timeElement.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(timeElement.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                timestamp = parsed;
            }
            else
            {
                problem = Fail("timestamp", "timestamp must be an ISO-8601 date-time or Unix seconds");
            }
        }

        Dictionary<string, string>? context = null;
        if (problem is null && element.TryGetProperty("context", out var contextElement) && contextElement.ValueKind != JsonValueKind.Null)
        {
            context = ReadContext(contextElement, ref problem);
        }

        if (problem is not null)
        {
            var parts = problem.Split('\n', 2);
            rejected = new RejectedEvent(index, parts[0], parts[1]);
            return false;
        }

        accepted = new AcceptedEvent
        {
            EventId = eventId ?? Guid.NewGuid().ToString("N"),
            GeneratedId = eventId is null,
            UserId = userId!,
            ItemId = itemId!,
            Type = type!,
            Value = value,
            Timestamp = timestamp,
            Context = context,
        };
        return true;
    }

    /// <summary>Checks an id from a route or body: non-empty, printable, within the length limit.</summary>
    public string? IdProblem(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return "must be a non-empty string";
        }

        if (id.Length > options.MaxIdLength)
        {
            return $"must be at most {options.MaxIdLength} characters";
        }

        return id.Any(char.IsControl) ? "must not contain control characters" : null;
    }

    private string? ReadId(JsonElement element, string name, bool required, ref string? problem)
    {
        if (problem is not null)
        {
            return null;
        }

        if (!element.TryGetProperty(name, out var property) || property.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                problem = $"{name}\n{name} is required";
            }

            return null;
        }

        if (property.ValueKind != JsonValueKind.String)
        {
            problem = $"{name}\n{name} must be a string";
            return null;
        }

        var id = property.GetString();
        if (IdProblem(id) is { } reason)
        {
            problem = $"{name}\n{name} {reason}";
            return null;
        }

        return id;
    }

    private Dictionary<string, string>? ReadContext(JsonElement element, ref string? problem)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            problem = "context\ncontext must be an object of key/value pairs";
            return null;
        }

        var context = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (context.Count >= options.MaxContextEntries)
            {
                problem = $"context\ncontext may hold at most {options.MaxContextEntries} entries";
                return null;
            }

            var text = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Number => property.Value.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => null,
            };
            if (text is null || property.Name.Length is 0 or > 64 || text.Length > 128)
            {
                problem = $"context.{property.Name}\ncontext values must be strings, numbers or booleans (keys up to 64, values up to 128 characters)";
                return null;
            }

            context[property.Name] = text;
        }

        return context;
    }
}
