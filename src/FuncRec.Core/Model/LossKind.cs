namespace FuncRec.Core.Model;

/// <summary>The objective a model is trained on.</summary>
public enum LossKind
{
    /// <summary>Squared error on explicit values (ratings).</summary>
    Squared = 0,

    /// <summary>Bayesian personalised ranking: log-sigmoid of (positive − sampled negative).</summary>
    Bpr = 1,

    /// <summary>Weighted approximate-rank pairwise loss: hinge on a sampled violating negative, weighted by the estimated rank.</summary>
    Warp = 2,

    /// <summary>Pointwise logistic loss on positives and sampled negatives.</summary>
    Logistic = 3,
}
