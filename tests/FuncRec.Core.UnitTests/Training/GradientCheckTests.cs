using FuncRec.Core.Features;
using FuncRec.Core.Model;
using FuncRec.Core.Training;
using FuncRec.Core.UnitTests.Support;

namespace FuncRec.Core.UnitTests.Training;

/// <summary>
/// Full-chain gradient checks: one SGD step of the kernel must move every parameter it touches along the
/// negative gradient of the loss, which is computed here independently by central finite differences. AdaGrad
/// scales a row's step by lr/√accumulator, so the gradient the kernel used is recovered exactly as
/// g = −Δw·√accumulator/lr.
/// </summary>
public sealed class GradientCheckTests
{
    private const float LearningRate = 1e-3f;

    [Theory]
    [InlineData(LossKind.Squared)]
    [InlineData(LossKind.Logistic)]
    [InlineData(LossKind.Bpr)]
    [InlineData(LossKind.Warp)]
    public void One_step_moves_every_parameter_along_the_negative_gradient(LossKind loss)
    {
        // u0 knows i0 and i2; the event is (u0, i0), so i0's behaviour row must be left out of u0's vector,
        // and the only possible negative is i1.
        var value = loss == LossKind.Squared ? 4f : 1f;
        Interaction[] known = [new(0, 0, 4f, 1), new(0, 2, 5f, 2)];
        var (model, data) = TinyWorld.Initialised(loss, itemCategories: true, behaviour: true, known, items: 3);
        var options = new TrainerOptions { Rank = 4, Loss = loss, LearningRate = LearningRate, BiasLearningRate = LearningRate, L2 = 0, BiasL2 = 0, NegativeSamples = 1, MaxWarpTrials = 1, Seed = 3 };
        var users = new EncodedCatalog(model, data.Users, FeatureSide.User, grow: false);
        var items = new EncodedCatalog(model, data.Items, FeatureSide.Item, grow: false);
        var profile = users.Get(0);
        var group = model.Encoder.BehaviourGroup!;
        int[] behaviourRows = [items.BehaviourRow(0), items.BehaviourRow(2)];
        float[] behaviourWeights = [group.BehaviourWeight(4f), group.BehaviourWeight(5f)];
        var negatives = new DataNegativeSampler(data.Users.Count, data.Items.Count, known);
        var e = new Interaction(0, 0, value, 3);

        double Loss()
        {
            var rank = model.Rank;
            var p = new double[rank];
            double userBias = 0;
            for (var f = 0; f < profile.Count; f++)
            {
                Accumulate(p, ref userBias, model.UserTable, profile.Rows[f], profile.Weights[f]);
            }

            // The event's own item (behaviour row 0) is excluded; one row remains, so the coefficient is 1/√1.
            Accumulate(p, ref userBias, model.UserTable, behaviourRows[1], behaviourWeights[1]);
            var s0 = ItemScore(model, items.Get(0), p);
            var s1 = ItemScore(model, items.Get(1), p);
            return loss switch
            {
                LossKind.Squared => 0.5 * Math.Pow(model.GlobalMean + userBias + s0 - value, 2),
                LossKind.Logistic => LossFunctions.Softplus(-(model.GlobalMean + userBias + s0)) + LossFunctions.Softplus(model.GlobalMean + userBias + s1),
                LossKind.Bpr => LossFunctions.Softplus(-(s0 - s1)),
                _ => Math.Max(0, LossFunctions.WarpRankWeight(3, 1) * (1 - s0 + s1)),
            };
        }

        if (loss == LossKind.Warp)
        {
            Assert.True(Loss() > 0, "the test needs the one negative to violate the margin");
        }

        var userRows = profile.Rows.Concat(behaviourRows).Distinct().ToArray();
        var itemRows = items.Get(0).Rows.Concat(items.Get(1).Rows).Distinct().ToArray();
        var numeric = new Dictionary<(bool User, int Row, int Column), double>();
        foreach (var (table, isUser, rows) in new[] { (model.UserTable, true, userRows), (model.ItemTable, false, itemRows) })
        {
            foreach (var row in rows)
            {
                for (var column = -1; column < model.Rank; column++)
                {
                    numeric[(isUser, row, column)] = NumericDerivative(table, row, column, Loss);
                }
            }
        }

        var before = Snapshot(model);
        var kernel = new SgdKernel(model, options, 99);
        kernel.TrainBlock(0, profile, behaviourRows, behaviourWeights, [e], items, negatives);

        var largest = 0.0;
        foreach (var ((isUser, row, column), expected) in numeric)
        {
            var table = isUser ? model.UserTable : model.ItemTable;
            var old = isUser ? before.User : before.Item;
            double used;
            if (column < 0)
            {
                used = -(table.Biases[row] - old.Biases[row]) * Math.Sqrt(table.BiasAccumulators[row]) / LearningRate;
            }
            else
            {
                used = -(table.Vectors[(row * model.Rank) + column] - old.Vectors[(row * model.Rank) + column]) * Math.Sqrt(table.VectorAccumulators[row]) / LearningRate;
            }

            largest = Math.Max(largest, Math.Abs(expected));
            Assert.True(Math.Abs(used - expected) <= 2e-3 + (2e-2 * Math.Abs(expected)), $"{(isUser ? "user" : "item")} row {row} column {column}: step used {used:F6}, finite differences say {expected:F6}");
        }

        Assert.True(largest > 1e-2, "the check must exercise non-trivial gradients");

        // The event's own behaviour row took no part in the prediction and must not have moved.
        Assert.Equal(before.User.Vectors.AsSpan(behaviourRows[0] * model.Rank, model.Rank).ToArray(), model.UserTable.Vector(behaviourRows[0]).ToArray());
    }

    private static void Accumulate(double[] p, ref double bias, EmbeddingTable table, int row, float weight)
    {
        var vector = table.Vector(row);
        for (var j = 0; j < p.Length; j++)
        {
            p[j] += weight * (double)vector[j];
        }

        bias += weight * (double)table.Bias(row);
    }

    private static double ItemScore(RecommenderModel model, SparseFeatures item, double[] p)
    {
        var q = new double[model.Rank];
        double bias = 0;
        for (var g = 0; g < item.Count; g++)
        {
            Accumulate(q, ref bias, model.ItemTable, item.Rows[g], item.Weights[g]);
        }

        return bias + p.Zip(q, (a, b) => a * b).Sum();
    }

    private static double NumericDerivative(EmbeddingTable table, int row, int column, Func<double> loss)
    {
        const float h = 1e-2f;
        ref var parameter = ref column < 0 ? ref table.Biases[row] : ref table.Vectors[(row * table.Rank) + column];
        var original = parameter;
        parameter = original + h;
        var up = loss();
        parameter = original - h;
        var down = loss();
        parameter = original;
        return (up - down) / (2 * h);
    }

    private static (TableCopy User, TableCopy Item) Snapshot(RecommenderModel model)
        => (new TableCopy((float[])model.UserTable.Vectors.Clone(), (float[])model.UserTable.Biases.Clone()),
            new TableCopy((float[])model.ItemTable.Vectors.Clone(), (float[])model.ItemTable.Biases.Clone()));

    private sealed record TableCopy(float[] Vectors, float[] Biases);
}
