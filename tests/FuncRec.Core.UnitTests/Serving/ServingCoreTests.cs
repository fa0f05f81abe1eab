using FuncRec.Core.Data;
using FuncRec.Core.Features;
using FuncRec.Core.Serving;
using FuncRec.Core.UnitTests.Support;

namespace FuncRec.Core.UnitTests.Serving;

public sealed class ServingCoreTests
{
    [Fact]
    public void Explanation_parts_sum_exactly_to_the_score()
    {
        var world = Worlds.Ratings(events: 3000);
        var model = Worlds.FitRatings(world);
        var user = new FeatureVector();
        model.Encoder.EncodeProfile(FeatureSide.User, world.Users[3], false, user);
        model.Encoder.EncodeBehaviour(["i1", "i2", "i5"], [4f, 2f, 5f], false, user);
        var item = new FeatureVector();
        model.Encoder.EncodeProfile(FeatureSide.Item, world.Items[7], false, item);
        float[] online = [0.1f, -0.2f, 0.05f, 0f, 0.3f, 0f, 0f, -0.1f];
        var names = ScoreExplainer.TextRowNames(model, FeatureSide.Item, world.Items[7]);

        var explanation = ScoreExplainer.Explain(model, user, item, online, 0.2f, null, names, top: 5);

        Assert.Equal(5, explanation.Contributions.Count);
        Assert.Equal(explanation.Score, explanation.GlobalMean + explanation.Contributions.Sum(c => c.Value) + explanation.Remainder, 9);
        Span<float> p = stackalloc float[model.Rank];
        Span<float> q = stackalloc float[model.Rank];
        model.UserVector(user, p, out var userBias);
        for (var j = 0; j < p.Length; j++)
        {
            p[j] += online[j];
        }

        model.ItemVector(item, q, out var itemBias);
        Assert.Equal(model.Score(p, userBias + 0.2f, q, itemBias), explanation.Score, 4);
        Assert.True(Math.Abs(explanation.Contributions[0].Value) >= Math.Abs(explanation.Contributions[^1].Value));
    }

    [Fact]
    public void Learning_rate_grid_serves_the_candidate_with_the_lowest_recent_error_and_follows_a_change()
    {
        var grid = new LearningRateGrid(0.1f, [0.5f, 1f, 2f], halfLife: 50);
        Assert.Equal(1, grid.Best);
        for (var i = 0; i < 300; i++)
        {
            grid.Observe([1.0, 0.5, 0.2]);
        }

        Assert.Equal(2, grid.Best);
        Assert.Equal(0.2f, grid.BestRate, 6);
        for (var i = 0; i < 300; i++)
        {
            grid.Observe([0.1, 0.5, 0.9]);
        }

        Assert.Equal(0, grid.Best);
        Assert.Equal(600, grid.Observations);
        Assert.Throws<ArgumentException>(() => grid.Observe([1.0]));
    }

    [Fact]
    public void Explanation_names_text_rows_by_their_words()
    {
        var world = Worlds.Ratings(events: 500);
        var model = Worlds.FitRatings(world);
        var names = ScoreExplainer.TextRowNames(model, FeatureSide.Item, world.Items[0]);
        Assert.NotEmpty(names);
        Assert.All(names.Values, name => Assert.StartsWith("title~", name));
    }

    [Fact]
    public void Online_updates_move_the_score_toward_the_target()
    {
        var world = Worlds.Ratings(events: 3000);
        var model = Worlds.FitRatings(world);
        var state = new UserOnlineState(model.Rank, "v1");
        float[] p = new float[model.Rank];
        float[] q = new float[model.Rank];
        var item = new FeatureVector();
        model.Encoder.EncodeProfile(FeatureSide.Item, world.Items[2], false, item);
        model.ItemVector(item, q, out var itemBias);
        float Score()
        {
            var composed = p.Zip(state.Vector(0).ToArray(), (a, b) => a + b).ToArray();
            return model.Score(composed, state.Biases[0], q, itemBias);
        }

        var start = Score();
        var target = start < 3 ? 5f : 1f;
        for (var i = 0; i < 20; i++)
        {
            Assert.True(OnlineUserUpdater.ApplyPointwise(model, p, 0f, state, q, itemBias, target, 1f, new OnlineUpdateOptions(), [0.1f], new double[1]));
        }

        Assert.True(Math.Abs(Score() - target) < Math.Abs(start - target));
        Assert.Equal(20, state.AppliedEvents);
    }

    [Fact]
    public void A_non_finite_online_update_is_refused_and_leaves_the_state_unchanged()
    {
        var world = Worlds.Ratings(events: 500);
        var model = Worlds.FitRatings(world);
        var state = new UserOnlineState(model.Rank, "v1");
        var before = state.Clone();
        var q = Enumerable.Repeat(float.NaN, model.Rank).ToArray();
        Assert.False(OnlineUserUpdater.ApplyPointwise(model, new float[model.Rank], 0f, state, q, 0f, 4f, 1f, new OnlineUpdateOptions(), [0.1f], new double[1]));
        Assert.Equal(before.Vectors, state.Vectors);
        Assert.Equal(before.Biases, state.Biases);
        Assert.Equal(0, state.AppliedEvents);
    }

    [Fact]
    public void The_online_vector_norm_is_capped()
    {
        var world = Worlds.Ratings(events: 500);
        var model = Worlds.FitRatings(world);
        var state = new UserOnlineState(model.Rank, "v1");
        var q = Enumerable.Repeat(5f, model.Rank).ToArray();
        var options = new OnlineUpdateOptions { MaxVectorNorm = 1.5f };
        for (var i = 0; i < 50; i++)
        {
            OnlineUserUpdater.ApplyPointwise(model, new float[model.Rank], 0f, state, q, 0f, 5f, 1f, options, [10f], new double[1]);
        }

        Assert.True(Math.Sqrt(state.Vectors.Sum(x => x * x)) <= 1.5 + 1e-4);
    }

    [Fact]
    public void Every_candidate_learns_under_its_own_rate_and_reports_its_loss_before_the_step()
    {
        var world = Worlds.Ratings(events: 500);
        var model = Worlds.FitRatings(world);
        var state = new UserOnlineState(model.Rank, "v1", candidates: 3);
        var q = Enumerable.Repeat(0.3f, model.Rank).ToArray();
        var losses = new double[3];
        OnlineUserUpdater.ApplyPointwise(model, new float[model.Rank], 0f, state, q, 0f, 5f, 1f, new OnlineUpdateOptions(), [0.01f, 0.1f, 1f], losses);
        Assert.Equal(losses[0], losses[1], 9);
        Assert.Equal(losses[1], losses[2], 9);
        var moved = Enumerable.Range(0, 3).Select(c => Math.Sqrt(state.Vector(c).ToArray().Sum(x => x * x))).ToArray();
        Assert.True(moved[0] < moved[1] && moved[1] < moved[2], "a larger rate must move its candidate further");
    }
}
