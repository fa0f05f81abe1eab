using System.Security.Cryptography;
using System.Text;

namespace FuncRec.Core.Features;

/// <summary>
/// The named feature groups of both sides. The schema is part of a model: a model refuses data encoded under
/// another schema, and the schema hash travels with every exported model.
/// </summary>
public sealed class FeatureSchema
{
    private readonly FeatureGroup[] _groups;

    public FeatureSchema(IEnumerable<FeatureGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        _groups = groups.ToArray();
        Validate(_groups);
        UserGroups = _groups.Where(g => g.Side == FeatureSide.User).ToArray();
        ItemGroups = _groups.Where(g => g.Side == FeatureSide.Item).ToArray();
        Hash = ComputeHash(_groups);
    }

    public IReadOnlyList<FeatureGroup> Groups => _groups;

    public IReadOnlyList<FeatureGroup> UserGroups { get; }

    public IReadOnlyList<FeatureGroup> ItemGroups { get; }

    /// <summary>Hex SHA-256 (first 16 bytes) of the canonical description of every group.</summary>
    public string Hash { get; }

    public IReadOnlyList<FeatureGroup> GroupsOf(FeatureSide side) => side == FeatureSide.User ? UserGroups : ItemGroups;

    /// <summary>
    /// A schema for apps that send free-form profiles: ids, recent behaviour, a handful of common categorical
    /// fields, text and request context. Fields not named here are counted as unknown and ignored.
    /// </summary>
    public static FeatureSchema Default { get; } = new(
    [
        new FeatureGroup { Name = "user", Side = FeatureSide.User, Kind = FeatureGroupKind.Id, HashBuckets = 4096, Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "recent", Side = FeatureSide.User, Kind = FeatureGroupKind.Behaviour, MaxValues = 50, HashBuckets = 4096 },
        new FeatureGroup { Name = "segment", Side = FeatureSide.User, Kind = FeatureGroupKind.Categorical },
        new FeatureGroup { Name = "country", Side = FeatureSide.User, Kind = FeatureGroupKind.Categorical, Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "age", Side = FeatureSide.User, Kind = FeatureGroupKind.Numeric, Boundaries = [18, 25, 35, 45, 55, 65], Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "gender", Side = FeatureSide.User, Kind = FeatureGroupKind.Categorical, Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "friends", Side = FeatureSide.User, Kind = FeatureGroupKind.Social, MaxValues = 50, HashBuckets = 1024 },
        new FeatureGroup { Name = "context", Side = FeatureSide.User, Kind = FeatureGroupKind.Context, HashBuckets = 1024 },
        new FeatureGroup { Name = "item", Side = FeatureSide.Item, Kind = FeatureGroupKind.Id, HashBuckets = 4096, Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "category", Side = FeatureSide.Item, Kind = FeatureGroupKind.Categorical },
        new FeatureGroup { Name = "brand", Side = FeatureSide.Item, Kind = FeatureGroupKind.Categorical, Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "tags", Side = FeatureSide.Item, Kind = FeatureGroupKind.Categorical, MaxValues = 32 },
        new FeatureGroup { Name = "price", Side = FeatureSide.Item, Kind = FeatureGroupKind.Numeric, Boundaries = [5, 10, 20, 50, 100, 200, 500, 1000], Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "year", Side = FeatureSide.Item, Kind = FeatureGroupKind.Numeric, Boundaries = [1950, 1970, 1980, 1990, 1995, 2000, 2005, 2010, 2015, 2020, 2025], Normalization = FeatureNormalization.None },
        new FeatureGroup { Name = "title", Side = FeatureSide.Item, Kind = FeatureGroupKind.Text, HashBuckets = 8192, MaxValues = 32 },
    ]);

    public FeatureGroup? Find(FeatureSide side, string name)
    {
        foreach (var group in GroupsOf(side))
        {
            if (string.Equals(group.Name, name, StringComparison.Ordinal))
            {
                return group;
            }
        }

        return null;
    }

    private static void Validate(FeatureGroup[] groups)
    {
        var seen = new HashSet<(FeatureSide, string)>();
        foreach (var group in groups)
        {
            if (string.IsNullOrWhiteSpace(group.Name))
            {
                throw new ArgumentException("Every feature group needs a name.", nameof(groups));
            }

            if (!seen.Add((group.Side, group.Name)))
            {
                throw new ArgumentException($"Feature group '{group.Name}' is declared twice on the {group.Side} side.", nameof(groups));
            }

            if (group.Side == FeatureSide.Item && group.Kind is FeatureGroupKind.Behaviour or FeatureGroupKind.Social or FeatureGroupKind.Context)
            {
                throw new ArgumentException($"Feature group '{group.Name}': {group.Kind} groups belong to the user side.", nameof(groups));
            }

            if (group.IsHashedOnly && group.HashBuckets <= 0)
            {
                throw new ArgumentException($"Feature group '{group.Name}' hashes its values and needs HashBuckets > 0.", nameof(groups));
            }

            if (group.Kind == FeatureGroupKind.Numeric)
            {
                if (group.Boundaries is null || group.Boundaries.Count == 0)
                {
                    throw new ArgumentException($"Numeric feature group '{group.Name}' needs bucket boundaries.", nameof(groups));
                }

                for (var i = 0; i < group.Boundaries.Count; i++)
                {
                    if (!double.IsFinite(group.Boundaries[i]) || (i > 0 && !(group.Boundaries[i] > group.Boundaries[i - 1])))
                    {
                        throw new ArgumentException($"Numeric feature group '{group.Name}' needs finite, strictly ascending boundaries.", nameof(groups));
                    }
                }
            }

            if (!float.IsFinite(group.Weight) || group.Weight <= 0f)
            {
                throw new ArgumentException($"Feature group '{group.Name}' needs a finite positive weight.", nameof(groups));
            }

            if (!float.IsFinite(group.ValueScale) || !float.IsFinite(group.ValueCenter))
            {
                throw new ArgumentException($"Feature group '{group.Name}' needs a finite value scale and centre.", nameof(groups));
            }

            if (group.HashBuckets < 0 || group.MaxValues < 0 || group.MaxVocabulary < 0)
            {
                throw new ArgumentException($"Feature group '{group.Name}' has a negative size.", nameof(groups));
            }
        }

        foreach (var side in new[] { FeatureSide.User, FeatureSide.Item })
        {
            if (groups.Count(g => g.Side == side && g.Kind == FeatureGroupKind.Id) > 1)
            {
                throw new ArgumentException($"The {side} side may have at most one Id group.", nameof(groups));
            }

            if (groups.Count(g => g.Side == side && g.Kind == FeatureGroupKind.Behaviour) > 1)
            {
                throw new ArgumentException("The user side may have at most one Behaviour group.", nameof(groups));
            }
        }
    }

    private static string ComputeHash(FeatureGroup[] groups)
    {
        var text = new StringBuilder();
        foreach (var g in groups)
        {
            text.Append(g.Name).Append('|').Append((int)g.Side).Append('|').Append((int)g.Kind).Append('|')
                .Append(g.SourceField).Append('|').Append(g.HashBuckets).Append('|')
                .Append(string.Join(',', (g.Boundaries ?? []).Select(b => b.ToString("R", System.Globalization.CultureInfo.InvariantCulture))))
                .Append('|').Append(g.Weight.ToString("R", System.Globalization.CultureInfo.InvariantCulture))
                .Append('|').Append((int)g.Normalization).Append('|').Append(g.MaxValues).Append('|').Append(g.MaxVocabulary)
                .Append('|').Append(g.ValueScale.ToString("R", System.Globalization.CultureInfo.InvariantCulture))
                .Append('|').Append(g.ValueCenter.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        }

        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return Convert.ToHexStringLower(digest.AsSpan(0, 16));
    }
}
