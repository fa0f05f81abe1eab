namespace FuncRec.Core.Features;

/// <summary>A user or an item as the app describes it: an id and named feature fields.</summary>
public sealed record EntityProfile(string Id, IReadOnlyDictionary<string, FeatureValue> Fields)
{
    private static readonly IReadOnlyDictionary<string, FeatureValue> NoFields = new Dictionary<string, FeatureValue>();

    public EntityProfile(string id)
        : this(id, NoFields)
    {
    }
}
