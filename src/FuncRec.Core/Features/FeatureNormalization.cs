namespace FuncRec.Core.Features;

/// <summary>How the weights of the n active values of one group are scaled so that long lists do not swamp short ones.</summary>
public enum FeatureNormalization
{
    /// <summary>Each value weighs the group weight (use for single-valued groups).</summary>
    None = 0,

    /// <summary>Each value weighs groupWeight / n: the group contributes the mean of its rows.</summary>
    Mean = 1,

    /// <summary>Each value weighs groupWeight / sqrt(n), as SVD++ does for implicit feedback.</summary>
    InverseSqrt = 2,
}
