namespace FuncRec.Core.Features;

/// <summary>Which side of the score a feature group contributes to.</summary>
public enum FeatureSide
{
    /// <summary>Summed into the user vector p_u (includes request context).</summary>
    User = 0,

    /// <summary>Summed into the item vector q_i.</summary>
    Item = 1,
}
