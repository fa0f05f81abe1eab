using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Core.Data;

namespace FuncRec.Application.Services;

/// <summary>
/// What an event teaches under the configured objective. Rating: a rating's value is the target and other
/// events teach nothing (they still count as behaviour). Ranking: views, clicks, purchases and good ratings
/// are positives weighted by intent; a poor rating is behaviour but not a positive.
/// </summary>
public sealed class EventTargets(ModelOptions options)
{
    /// <summary>The target (rating) or weight (implicit) of an event; null when the event teaches nothing.</summary>
    public float? TargetOf(AcceptedEvent e)
    {
        if (options.Objective == ModelObjective.Rating)
        {
            return e.Type == EventTypes.Rating && e.Value is { } rating
                ? Math.Clamp(rating, (float)options.MinRating, (float)options.MaxRating)
                : null;
        }

        var weight = EventTypes.ImplicitWeight(e.Type, e.Value, (float)options.PositiveRating);
        return weight > 0 ? weight : null;
    }

    /// <summary>The value remembered in the user's recent interactions (their behaviour weight).</summary>
    public float BehaviourValueOf(AcceptedEvent e) => TargetOf(e) ?? (e.Value is { } v && float.IsFinite(v) ? v : 0f);
}
