using FuncRec.Core.Data;
using FuncRec.Core.Evaluation;
using FuncRec.Core.Model;
using FuncRec.Core.Persistence;
using FuncRec.Core.Training;
using FuncRec.Core.UnitTests.Support;

namespace FuncRec.Core.UnitTests.Training;

public sealed class OnlineLearnerTests
{
    private static TrainerOptions Online => new() { Rank = 8, Epochs = 0, LearningRate = 0.1f, BiasLearningRate = 0.1f, L2 = 0.05f, BiasL2 = 0.02f, MinValue = 1, MaxValue = 5, Seed = 3 };

    [Fact]
    public void Predict_then_learn_matches_predict_followed_by_learn()
    {
        var world = Worlds.Ratings(events: 3000);
        OnlineLearner Fresh() => new(new RecommenderTrainer(Online).Fit(SyntheticWorld.Schema(), world.All.With([])), world.Users, world.Items, Online);
        var fused = Fresh();
        var separate = Fresh();
        foreach (var e in world.Events)
        {
            var expected = separate.Predict(e.User, e.Item);
            separate.Learn(e);
            Assert.Equal(expected, fused.PredictThenLearn(e), 4);
        }

        fused.Flush();
        separate.Flush();
        Assert.Equal(ModelSerializer.ToBytes(separate.Model), ModelSerializer.ToBytes(fused.Model));
    }

    [Fact]
    public void Online_learning_recovers_after_a_drift_where_a_frozen_model_does_not()
    {
        const int drift = 8000;
        var world = Worlds.Ratings(seed: 4, events: 16000, driftAt: drift);
        var model = new RecommenderTrainer(Worlds.RatingOptions).Fit(SyntheticWorld.Schema(), world.All.With(world.Events[..drift]));
        var frozen = new CatalogScorer(model.Clone(), world.Users, world.Items, new BehaviourIndex(world.Users.Count, world.Events[..drift], 30));
        var learner = new OnlineLearner(model, world.Users, world.Items, Worlds.RatingOptions with { LearningRate = 0.08f, BiasLearningRate = 0.08f });
        foreach (var e in world.Events[..drift])
        {
            learner.Histories.Record(e.User, e.Item, e.Value);
        }

        var early = new RatingMetrics();
        var late = new RatingMetrics();
        var frozenLate = new RatingMetrics();
        for (var t = drift; t < world.Events.Length; t++)
        {
            var e = world.Events[t];
            var prediction = learner.PredictThenLearn(e);
            (t < drift + 2000 ? early : late).Add(prediction, e.Value);
            if (t >= drift + 2000)
            {
                frozenLate.Add(frozen.Predict(e.User, e.Item), e.Value);
            }
        }

        Assert.True(late.Rmse < early.Rmse, $"error after adapting ({late.Rmse:F3}) should fall below the error just after the drift ({early.Rmse:F3})");
        Assert.True(late.Rmse < 0.95 * frozenLate.Rmse, $"online ({late.Rmse:F3}) should clearly beat the frozen model ({frozenLate.Rmse:F3}) after the drift");
    }

    [Fact]
    public void Fit_partial_on_a_learner_undoes_a_diverging_batch()
    {
        var world = Worlds.Ratings(events: 2000);
        var model = Worlds.FitRatings(world);
        var learner = new OnlineLearner(model, world.Users, world.Items, Online with { LearningRate = 1e30f, BiasLearningRate = 1e30f });
        var before = ModelSerializer.ToBytes(model);
        Assert.Throws<ModelDivergedException>(() => learner.FitPartial(world.Events.Select(e => e with { Value = 1e30f }).ToArray()));
        Assert.Equal(before, ModelSerializer.ToBytes(model));
    }

    [Fact]
    public void Learning_an_event_out_of_the_catalogs_is_an_argument_error()
    {
        var world = Worlds.Ratings(events: 100);
        var learner = new OnlineLearner(Worlds.FitRatings(world), world.Users, world.Items, Online);
        Assert.Throws<ArgumentException>(() => learner.Learn(new Interaction(world.Users.Count + 5, 0, 3f)));
        Assert.Throws<ArgumentException>(() => learner.Learn(new Interaction(0, 0, float.NaN)));
    }

    [Fact]
    public void Histories_keep_the_newest_items_and_move_repeats_to_the_end()
    {
        var histories = new UserHistories(3);
        foreach (var item in new[] { 1, 2, 3, 4, 2 })
        {
            histories.Record(7, item, item);
        }

        var items = new int[3];
        var values = new float[3];
        Assert.Equal(3, histories.Recent(7, items, values));
        Assert.Equal([3, 4, 2], items);
        Assert.Equal([3f, 4f, 2f], values);
        Assert.True(histories.Contains(7, 4));
        Assert.False(histories.Contains(7, 1));
        Assert.Equal(0, histories.Recent(8, items, values));
    }
}
