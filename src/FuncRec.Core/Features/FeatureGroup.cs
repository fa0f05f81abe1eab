namespace FuncRec.Core.Features;

/// <summary>
/// One named group of features: where its raw values come from, how they become rows of the side's
/// embedding table, and how much the group weighs in the sum that forms the user or item vector.
/// </summary>
public sealed record FeatureGroup
{
    /// <summary>Unique name on its side; also the default profile field it reads.</summary>
    public required string Name { get; init; }

    public required FeatureSide Side { get; init; }

    public required FeatureGroupKind Kind { get; init; }

    /// <summary>The profile field this group reads; defaults to <see cref="Name"/>. Unused by Id, Behaviour and Context groups.</summary>
    public string? Field { get; init; }

    /// <summary>
    /// Rows reserved for hashing. Text and Context groups always hash; a Categorical group hashes when this is
    /// positive and keeps a dictionary when it is zero; Id, Behaviour and Social groups use these rows for ids
    /// beyond <see cref="MaxVocabulary"/>.
    /// </summary>
    public int HashBuckets { get; init; }

    /// <summary>Ascending bucket boundaries for a Numeric group: value v falls in bucket #{b : b &lt;= v}.</summary>
    public IReadOnlyList<double>? Boundaries { get; init; }

    /// <summary>Scale of the group's contribution (before normalisation).</summary>
    public float Weight { get; init; } = 1f;

    public FeatureNormalization Normalization { get; init; } = FeatureNormalization.InverseSqrt;

    /// <summary>Most values read from one list (Behaviour keeps the most recent ones); 0 means no cap.</summary>
    public int MaxValues { get; init; }

    /// <summary>Most dictionary entries; 0 means unbounded. Entries beyond it fall into the hash rows (or are dropped when there are none).</summary>
    public int MaxVocabulary { get; init; }

    /// <summary>
    /// Behaviour groups only: how the value of an interaction (a rating, an event weight) scales its item's row:
    /// <c>1 + ValueScale · (value − ValueCenter)</c>. Zero (the default) counts every item the same, as implicit
    /// feedback does; a positive scale lets a 5-star rating pull the user toward the item and a 1-star push away.
    /// </summary>
    public float ValueScale { get; init; }

    /// <summary>Behaviour groups only: the value that counts as neutral for <see cref="ValueScale"/>.</summary>
    public float ValueCenter { get; init; }

    /// <summary>The multiplier of a behaviour item with the given interaction value.</summary>
    public float BehaviourWeight(float value) => ValueScale == 0f ? 1f : 1f + (ValueScale * (value - ValueCenter));

    /// <summary>The field read from a profile.</summary>
    public string SourceField => Field ?? Name;

    /// <summary>True when values of this group map to rows only by hashing.</summary>
    public bool IsHashedOnly => Kind is FeatureGroupKind.Text or FeatureGroupKind.Context
        || (Kind == FeatureGroupKind.Categorical && HashBuckets > 0);

    /// <summary>True when values of this group map to rows through a dictionary (with optional hashed overflow).</summary>
    public bool UsesDictionary => !IsHashedOnly && Kind != FeatureGroupKind.Numeric;

    /// <summary>Rows this group reserves at the start of the table (hash buckets or numeric buckets).</summary>
    public int ReservedRows => Kind == FeatureGroupKind.Numeric ? (Boundaries?.Count ?? 0) + 1 : Math.Max(HashBuckets, 0);
}
