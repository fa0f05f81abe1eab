namespace FuncRec.Core.Data;

/// <summary>
/// The interaction types FuncRec knows and how strongly each says "this user wants this item". Ratings carry
/// their own value; the others are implicit signals weighted by intent. Types are lower-case words; unknown
/// types are refused at ingestion so a typo never becomes silent training data.
/// </summary>
public static class EventTypes
{
    public const string Rating = "rating";

    private static readonly Dictionary<string, float> ImplicitWeights = new(StringComparer.Ordinal)
    {
        ["view"] = 1f,
        ["click"] = 1.5f,
        ["like"] = 2f,
        ["share"] = 2f,
        ["add_to_cart"] = 3f,
        ["purchase"] = 4f,
        ["rating"] = 0f,
    };

    // The one instance of each known type, so that what a user's document keeps for every interaction is a shared string.
    private static readonly Dictionary<string, string> CanonicalInstances = ImplicitWeights.Keys.ToDictionary(type => type, StringComparer.Ordinal);

    /// <summary>Every accepted type.</summary>
    public static IReadOnlyCollection<string> All => ImplicitWeights.Keys;

    public static bool IsKnown(string? type) => type is not null && ImplicitWeights.ContainsKey(type);

    /// <summary>
    /// The shared instance of a known type (the argument itself when it is not one). A user's recent interactions
    /// keep their type for as long as the user is in memory; a string parsed per event is one more object for the
    /// collector to copy while it is young, and the consumer makes tens of thousands of them a second.
    /// </summary>
    public static string Canonical(string type) => CanonicalInstances.TryGetValue(type, out var instance) ? instance : type;

    /// <summary>
    /// The implicit weight of an event: its value when given (a client-side weight), else the type's default;
    /// a rating counts as a positive signal when at or above <paramref name="positiveRating"/> (weight 1) and as
    /// no signal below it.
    /// </summary>
    public static float ImplicitWeight(string type, float? value, float positiveRating = 4f)
    {
        if (type == Rating)
        {
            return value is { } rating && rating >= positiveRating ? 1f : 0f;
        }

        if (value is { } weight && float.IsFinite(weight) && weight > 0)
        {
            return weight;
        }

        return ImplicitWeights.TryGetValue(type, out var known) ? known : 0f;
    }
}
