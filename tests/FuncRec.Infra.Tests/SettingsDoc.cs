using System.Text.RegularExpressions;

namespace FuncRec.Infra.Tests;

/// <summary>A setting named in the first cell of a table row of docs/settings.md.</summary>
/// <param name="Default">The backticked default the row gives for it, if the table has a Default column and gives one.</param>
public sealed record DocumentedSetting(string Name, string? Default, int Line);

/// <summary>
/// The settings docs/settings.md documents. A row's first cell names one setting or several (<c>`FuncRec__Model__MinRating`,
/// `FuncRec__Model__MaxRating`</c>); a name may start with <c>…</c> (or <c>...</c>) for the first name's sections, as in
/// <c>`FuncRec__Consumer__Workers`, `…__MaxDequeueCount`</c>. A Default cell gives one backticked value per name, or one
/// for all; text without backticks (<c>auto</c>) stands for no fixed default.
/// </summary>
public static partial class SettingsDoc
{
    public static string Path => RepositoryRoot.Combine("docs", "settings.md");

    public static IReadOnlyList<DocumentedSetting> Read() => Parse(File.ReadAllLines(Path));

    public static IReadOnlyList<DocumentedSetting> Parse(IReadOnlyList<string> lines)
    {
        var settings = new List<DocumentedSetting>();
        var defaultColumn = -1;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i].Trim();
            if (!line.StartsWith('|'))
            {
                defaultColumn = -1;
                continue;
            }

            var cells = Cells(line);
            if (i + 1 < lines.Count && Separator().IsMatch(lines[i + 1].Trim()))
            {
                // A table's header row.
                defaultColumn = cells.FindIndex(c => string.Equals(c, "Default", StringComparison.OrdinalIgnoreCase));
                i++;
                continue;
            }

            var names = Expand(Backticked(cells[0]), i + 1);
            var defaults = defaultColumn > 0 && defaultColumn < cells.Count ? Backticked(cells[defaultColumn]) : [];
            for (var n = 0; n < names.Count; n++)
            {
                var value = defaults.Count == names.Count ? defaults[n] : defaults.Count == 1 ? defaults[0] : null;
                settings.Add(new DocumentedSetting(names[n], value, i + 1));
            }
        }

        return settings;
    }

    private static List<string> Cells(string row) =>
        row.Trim('|').Split('|').Select(c => c.Trim()).ToList();

    private static List<string> Backticked(string cell) =>
        Code().Matches(cell).Select(m => m.Groups[1].Value).ToList();

    private static List<string> Expand(List<string> tokens, int line)
    {
        var names = new List<string>();
        foreach (var token in tokens)
        {
            var suffix = token.StartsWith('…') ? token[1..] : token.StartsWith("...", StringComparison.Ordinal) ? token[3..] : null;
            string name;
            if (suffix is null)
            {
                name = token;
            }
            else
            {
                var first = names.FirstOrDefault()
                    ?? throw new FormatException($"docs/settings.md line {line}: `{token}` has no full name before it to take its sections from.");
                var sections = first.LastIndexOf("__", StringComparison.Ordinal);
                if (sections < 0 || !suffix.StartsWith("__", StringComparison.Ordinal))
                {
                    throw new FormatException($"docs/settings.md line {line}: `{token}` must continue the sections of `{first}` with __Name.");
                }

                name = first[..sections] + suffix;
            }

            if (!SettingName().IsMatch(name))
            {
                throw new FormatException($"docs/settings.md line {line}: `{token}` in the first column is not a setting name.");
            }

            names.Add(name);
        }

        return names;
    }

    [GeneratedRegex(@"^\|?\s*:?-{3,}")]
    private static partial Regex Separator();

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Code();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex SettingName();
}
