using FuncRec.Core.Features;
using FuncRec.Core.Model;

namespace FuncRec.Core.Serving;

/// <summary>One named part of a score.</summary>
public sealed record ScoreContribution(string UserFeature, string? ItemFeature, double Value);

/// <summary>
/// A score taken apart: μ, the largest feature-pair and bias terms, and a remainder holding all the smaller
/// terms, so that <c>GlobalMean + Σ Contributions + Remainder == Score</c> (in double precision).
/// </summary>
public sealed record ScoreExplanation(double Score, double GlobalMean, IReadOnlyList<ScoreContribution> Contributions, double Remainder);

/// <summary>
/// Decomposes <c>μ + b_u + b_i + p·q</c> into its terms: every user-row bias, every item-row bias, the online bias,
/// and every pair x_f·x_g·E_u[f]·E_i[g] (plus the online vector against each item row), then keeps the largest.
/// Bilinear models are interpretable exactly this way: each pair says how much one user feature and one item
/// feature agree.
/// </summary>
public static class ScoreExplainer
{
    public static ScoreExplanation Explain(
        RecommenderModel model,
        FeatureVector user,
        FeatureVector item,
        ReadOnlySpan<float> onlineVector,
        float onlineBias,
        IReadOnlyDictionary<int, string>? userRowNames = null,
        IReadOnlyDictionary<int, string>? itemRowNames = null,
        int top = 10)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(item);
        model.EnsureFitted();
        var terms = new List<ScoreContribution>();
        var users = model.UserTable;
        var items = model.ItemTable;

        string UserName(int row) => userRowNames is not null && userRowNames.TryGetValue(row, out var name) ? name : model.Space.DescribeRow(FeatureSide.User, row);
        string ItemName(int row) => itemRowNames is not null && itemRowNames.TryGetValue(row, out var name) ? name : model.Space.DescribeRow(FeatureSide.Item, row);

        for (var f = 0; f < user.Count; f++)
        {
            var row = user.Rows[f];
            if ((uint)row < (uint)users.Rows)
            {
                terms.Add(new ScoreContribution(UserName(row), null, (double)user.Weights[f] * users.Bias(row)));
            }
        }

        if (onlineBias != 0f)
        {
            terms.Add(new ScoreContribution("online", null, onlineBias));
        }

        for (var g = 0; g < item.Count; g++)
        {
            var row = item.Rows[g];
            if ((uint)row < (uint)items.Rows)
            {
                terms.Add(new ScoreContribution("(item bias)", ItemName(row), (double)item.Weights[g] * items.Bias(row)));
            }
        }

        for (var g = 0; g < item.Count; g++)
        {
            var itemRow = item.Rows[g];
            if ((uint)itemRow >= (uint)items.Rows)
            {
                continue;
            }

            var q = items.Vector(itemRow);
            for (var f = 0; f < user.Count; f++)
            {
                var userRow = user.Rows[f];
                if ((uint)userRow < (uint)users.Rows)
                {
                    terms.Add(new ScoreContribution(UserName(userRow), ItemName(itemRow), (double)user.Weights[f] * item.Weights[g] * Dot(users.Vector(userRow), q)));
                }
            }

            if (!onlineVector.IsEmpty)
            {
                terms.Add(new ScoreContribution("online", ItemName(itemRow), item.Weights[g] * Dot(onlineVector, q)));
            }
        }

        var score = (double)model.GlobalMean + terms.Sum(t => t.Value);
        var kept = terms.OrderByDescending(t => Math.Abs(t.Value)).ThenBy(t => t.UserFeature, StringComparer.Ordinal)
            .ThenBy(t => t.ItemFeature, StringComparer.Ordinal).Take(Math.Max(top, 0)).ToList();
        var remainder = score - model.GlobalMean - kept.Sum(t => t.Value);
        return new ScoreExplanation(score, model.GlobalMean, kept, remainder);
    }

    /// <summary>Readable names for the hashed text rows of a profile ("title~galaxy"), which the feature space cannot name on its own.</summary>
    public static Dictionary<int, string> TextRowNames(RecommenderModel model, FeatureSide side, EntityProfile profile)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(profile);
        var names = new Dictionary<int, string>();
        var groups = model.Schema.GroupsOf(side);
        for (var g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            if (group.Kind != FeatureGroupKind.Text || !profile.Fields.TryGetValue(group.SourceField, out var value))
            {
                continue;
            }

            for (var v = 0; v < value.ValueCount; v++)
            {
                foreach (var token in TextTokenizer.Tokens(value.ValueAt(v)))
                {
                    if (model.Space.TryGetRow(side, g, token, grow: false, out var row))
                    {
                        names.TryAdd(row, $"{group.Name}~{token}");
                    }
                }
            }
        }

        return names;
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
        }

        return sum;
    }
}
