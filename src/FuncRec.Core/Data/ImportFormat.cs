using System.Globalization;
using System.Text.Json;
using FuncRec.Core.Features;

namespace FuncRec.Core.Data;

/// <summary>A user or item record of the import format: <c>{"id": "...", "features": {"field": value, ...}}</c>.</summary>
public sealed record EntityRecord(string Id, Dictionary<string, FeatureValue>? Features)
{
    public EntityProfile ToProfile() => new(Id, Features ?? []);
}

/// <summary>Everything an import holds: users, items and events, as read.</summary>
public sealed record ImportedData(IReadOnlyList<EntityProfile> Users, IReadOnlyList<EntityProfile> Items, IReadOnlyList<InteractionEvent> Events);

/// <summary>A record that could not be read, with where and why (an import never stops at the first bad line).</summary>
public sealed record ImportProblem(string File, int Line, string Reason);

/// <summary>
/// Reads FuncRec's import format. JSON Lines (<c>.jsonl</c>): one object per line, users and items as
/// <see cref="EntityRecord"/>, events as <see cref="InteractionEvent"/>. CSV (<c>.csv</c>): a header row;
/// users/items have an <c>id</c> column and one column per feature field (list values separated by <c>|</c>,
/// numbers written invariantly); events have <c>userId,itemId,type</c> and optional <c>value,timestamp,eventId</c>
/// (timestamp as ISO-8601 or Unix seconds). Bad lines are reported, not fatal.
/// </summary>
public static class ImportFormat
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static ImportedData ReadDirectory(string directory, List<ImportProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var users = ReadEntities(Find(directory, "users"), problems);
        var items = ReadEntities(Find(directory, "items"), problems);
        var eventsPath = Find(directory, "events") ?? throw new FileNotFoundException($"No events.jsonl or events.csv in '{directory}'.");
        return new ImportedData(users, items, ReadEvents(eventsPath, problems));
    }

    public static List<EntityProfile> ReadEntities(string? path, List<ImportProblem> problems)
    {
        var result = new List<EntityProfile>();
        if (path is null)
        {
            return result;
        }

        if (IsCsv(path))
        {
            var lineNumber = 0;
            string[]? header = null;
            foreach (var line in File.ReadLines(path))
            {
                lineNumber++;
                if (line.Length == 0)
                {
                    continue;
                }

                var cells = Csv.Split(line);
                if (header is null)
                {
                    header = cells;
                    if (Array.IndexOf(header, "id") < 0)
                    {
                        problems.Add(new ImportProblem(path, lineNumber, "the header has no 'id' column"));
                        return result;
                    }

                    continue;
                }

                if (cells.Length != header.Length)
                {
                    problems.Add(new ImportProblem(path, lineNumber, $"expected {header.Length} cells, found {cells.Length}"));
                    continue;
                }

                string? id = null;
                var fields = new Dictionary<string, FeatureValue>(StringComparer.Ordinal);
                for (var c = 0; c < header.Length; c++)
                {
                    if (header[c] == "id")
                    {
                        id = cells[c];
                    }
                    else if (cells[c].Length > 0)
                    {
                        fields[header[c]] = ParseCell(cells[c]);
                    }
                }

                if (string.IsNullOrWhiteSpace(id))
                {
                    problems.Add(new ImportProblem(path, lineNumber, "empty id"));
                    continue;
                }

                result.Add(new EntityProfile(id, fields));
            }

            return result;
        }

        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                var record = JsonSerializer.Deserialize<EntityRecord>(line, Json);
                if (record is null || string.IsNullOrWhiteSpace(record.Id))
                {
                    problems.Add(new ImportProblem(path, number, "missing 'id'"));
                    continue;
                }

                result.Add(record.ToProfile());
            }
            catch (JsonException exception)
            {
                problems.Add(new ImportProblem(path, number, exception.Message));
            }
        }

        return result;
    }

    public static List<InteractionEvent> ReadEvents(string path, List<ImportProblem> problems)
    {
        var result = new List<InteractionEvent>();
        var number = 0;
        string[]? header = null;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            InteractionEvent? e;
            try
            {
                if (IsCsv(path))
                {
                    var cells = Csv.Split(line);
                    if (header is null)
                    {
                        header = cells;
                        continue;
                    }

                    e = FromCsv(header, cells);
                }
                else
                {
                    e = JsonSerializer.Deserialize<InteractionEvent>(line, Json);
                }
            }
            catch (Exception exception) when (exception is JsonException or FormatException or ArgumentException)
            {
                problems.Add(new ImportProblem(path, number, exception.Message));
                continue;
            }

            var problem = e is null ? "empty record" : Validate(e);
            if (problem is not null)
            {
                problems.Add(new ImportProblem(path, number, problem));
                continue;
            }

            result.Add(e!);
        }

        return result;
    }

    /// <summary>Why an event cannot be used, or null when it can.</summary>
    public static string? Validate(InteractionEvent e)
    {
        if (string.IsNullOrWhiteSpace(e.UserId))
        {
            return "userId is required";
        }

        if (string.IsNullOrWhiteSpace(e.ItemId))
        {
            return "itemId is required";
        }

        if (!EventTypes.IsKnown(e.Type))
        {
            return $"type '{e.Type}' is not one of {string.Join(", ", EventTypes.All)}";
        }

        if (e.Value is { } value && !float.IsFinite(value))
        {
            return "value must be a finite number";
        }

        if (e.Type == EventTypes.Rating && e.Value is null)
        {
            return "a rating needs a value";
        }

        return null;
    }

    private static InteractionEvent FromCsv(string[] header, string[] cells)
    {
        string? Cell(string name)
        {
            var at = Array.IndexOf(header, name);
            return at >= 0 && at < cells.Length && cells[at].Length > 0 ? cells[at] : null;
        }

        DateTimeOffset? timestamp = null;
        if (Cell("timestamp") is { } time)
        {
            timestamp = long.TryParse(time, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : DateTimeOffset.Parse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        }

        return new InteractionEvent
        {
            EventId = Cell("eventId"),
            UserId = Cell("userId") ?? string.Empty,
            ItemId = Cell("itemId") ?? string.Empty,
            Type = Cell("type") ?? string.Empty,
            Value = Cell("value") is { } v ? float.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture) : null,
            Timestamp = timestamp,
        };
    }

    private static FeatureValue ParseCell(string cell)
    {
        if (cell.Contains('|'))
        {
            return FeatureValue.Of(cell.Split('|', StringSplitOptions.RemoveEmptyEntries));
        }

        return double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            ? FeatureValue.Of(number)
            : FeatureValue.Of(cell);
    }

    private static string? Find(string directory, string name)
    {
        foreach (var extension in new[] { ".jsonl", ".csv" })
        {
            var path = Path.Combine(directory, name + extension);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    private static bool IsCsv(string path) => path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);

    /// <summary>RFC 4180 cells of one line: commas separate, double quotes quote, "" is a quote.</summary>
    private static class Csv
    {
        public static string[] Split(string line)
        {
            var cells = new List<string>();
            var cell = new System.Text.StringBuilder();
            var quoted = false;
            for (var i = 0; i < line.Length; i++)
            {
                var c = line[i];
                if (quoted)
                {
                    if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                    {
                        cell.Append('"');
                        i++;
                    }
                    else if (c == '"')
                    {
                        quoted = false;
                    }
                    else
                    {
                        cell.Append(c);
                    }
                }
                else if (c == '"')
                {
                    quoted = true;
                }
                else if (c == ',')
                {
                    cells.Add(cell.ToString());
                    cell.Clear();
                }
                else
                {
                    cell.Append(c);
                }
            }

            cells.Add(cell.ToString());
            return cells.ToArray();
        }
    }
}
