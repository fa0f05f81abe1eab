namespace FuncRec.Core.Model;

/// <summary>The losses and their derivatives with respect to the score (or score difference), in one place.</summary>
internal static class LossFunctions
{
    /// <summary>
    /// Pointwise loss of a score against a target and its derivative dL/ds: squared error ½(s − y)² for
    /// <see cref="LossKind.Squared"/>; logistic loss with label y ∈ {0, 1} otherwise.
    /// </summary>
    public static float Pointwise(LossKind loss, float score, float target, out double value)
    {
        if (loss == LossKind.Squared)
        {
            var error = score - target;
            value = 0.5 * error * error;
            return error;
        }

        var probability = 1f / (1f + MathF.Exp(-score));
        value = target > 0.5f ? Softplus(-score) : Softplus(score);
        return probability - target;
    }

    /// <summary>BPR: L = −log σ(d) with d = s_pos − s_neg; returns dL/dd = −σ(−d).</summary>
    public static float Bpr(float difference, out double value)
    {
        value = Softplus(-difference);
        return -1f / (1f + MathF.Exp(difference));
    }

    /// <summary>
    /// WARP's rank weight for a violation found after <paramref name="trials"/> draws among
    /// <paramref name="items"/> items: log⌊(items − 1)/trials⌋, floored at 0.1 so a violation is never ignored.
    /// </summary>
    public static float WarpRankWeight(int items, int trials)
    {
        var weight = MathF.Log(MathF.Max(1f, MathF.Floor((items - 1) / (float)trials)));
        return weight <= 0f ? 0.1f : weight;
    }

    /// <summary>log(1 + eˣ) without overflow.</summary>
    public static double Softplus(double x) => x > 20 ? x : Math.Log(1.0 + Math.Exp(x));
}
