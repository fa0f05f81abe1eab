using FuncRec.Core.Data;
using FuncRec.Core.Evaluation;
using FuncRec.Core.Features;
using FuncRec.Core.Model;
using FuncRec.Core.Persistence;
using FuncRec.Core.Training;
using FuncRec.Core.UnitTests.Support;

namespace FuncRec.Core.UnitTests.Training;

public sealed class RecommenderTrainerTests
{
    [Fact]
    public void Fit_is_deterministic_under_a_seed()
    {
        var world = Worlds.Ratings();
        var first = ModelSerializer.ToBytes(Worlds.FitRatings(world));
        var second = ModelSerializer.ToBytes(Worlds.FitRatings(world));
        var other = ModelSerializer.ToBytes(new RecommenderTrainer(Worlds.RatingOptions with { Seed = 8 }).Fit(SyntheticWorld.Schema(), world.All));
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Ranking_fit_is_deterministic_under_a_seed()
    {
        var world = Worlds.Clicks(events: 4000);
        byte[] Fit() => ModelSerializer.ToBytes(new RecommenderTrainer(Worlds.RankingOptions with { Epochs = 3 }).Fit(SyntheticWorld.Schema(), world.All));
        Assert.Equal(Fit(), Fit());
    }

    [Fact]
    public void Scoring_an_unfitted_model_throws()
    {
        var model = new RecommenderModel(SyntheticWorld.Schema(), 8, LossKind.Squared);
        var vector = new FeatureVector();
        Assert.Throws<ModelNotFittedException>(() => model.Score(vector, vector));
        Assert.Throws<ModelNotFittedException>(() => new CatalogScorer(model, new EntityCatalog(), new EntityCatalog(), null));
    }

    [Fact]
    public void Fit_partial_refuses_a_model_of_another_rank_or_loss()
    {
        var world = Worlds.Ratings(events: 500);
        var model = Worlds.FitRatings(world);
        Assert.Throws<ArgumentException>(() => new RecommenderTrainer(Worlds.RatingOptions with { Rank = 9 }).FitPartial(model, world.All));
        Assert.Throws<ArgumentException>(() => new RecommenderTrainer(Worlds.RatingOptions with { Loss = LossKind.Bpr }).FitPartial(model, world.All));
    }

    [Fact]
    public void Fit_partial_continues_from_the_current_state()
    {
        var world = Worlds.Ratings(events: 6000);
        var model = Worlds.FitRatings(world, take: 3000);
        var before = ModelSerializer.ToBytes(model);
        var trainedBefore = model.TrainedEvents;
        new RecommenderTrainer(Worlds.RatingOptions).FitPartial(model, world.All.With(world.Events[3000..]));
        Assert.NotEqual(before, ModelSerializer.ToBytes(model));
        Assert.Equal(trainedBefore + 3000, model.TrainedEvents);
    }

    [Fact]
    public void A_diverging_partial_fit_throws_and_leaves_the_previous_weights_intact()
    {
        var world = Worlds.Ratings(events: 2000);
        var model = Worlds.FitRatings(world);
        var before = ModelSerializer.ToBytes(model);
        var reckless = new RecommenderTrainer(Worlds.RatingOptions with { LearningRate = 1e30f, BiasLearningRate = 1e30f });
        var wild = world.Events.Select(e => e with { Value = 1e30f }).ToArray();
        Assert.Throws<ModelDivergedException>(() => reckless.FitPartial(model, world.All.With(wild)));
        Assert.Equal(before, ModelSerializer.ToBytes(model));
    }

    [Fact]
    public void A_diverging_fit_throws_instead_of_returning_a_non_finite_model()
    {
        var world = Worlds.Ratings(events: 2000);
        var wild = world.Events.Select(e => e with { Value = 1e30f }).ToArray();
        var reckless = new RecommenderTrainer(Worlds.RatingOptions with { LearningRate = 1e30f, BiasLearningRate = 1e30f });
        Assert.Throws<ModelDivergedException>(() => reckless.Fit(SyntheticWorld.Schema(), world.All.With(wild)));
    }

    [Fact]
    public void Invalid_options_are_refused_up_front_naming_the_option()
    {
        var error = Assert.Throws<ArgumentException>(() => new RecommenderTrainer(new TrainerOptions { LearningRate = float.NaN }));
        Assert.Contains("LearningRate", error.Message);
        Assert.Throws<ArgumentException>(() => new RecommenderTrainer(new TrainerOptions { Rank = 0 }));
        Assert.Throws<ArgumentException>(() => new RecommenderTrainer(new TrainerOptions { MinValue = 5, MaxValue = 1 }));
    }

    [Fact]
    public void Fine_tune_leaves_the_parent_untouched_and_the_anchor_holds_the_child_near_it()
    {
        var world = Worlds.Ratings(events: 6000);
        var parent = Worlds.FitRatings(world, take: 4000);
        var parentBytes = ModelSerializer.ToBytes(parent);
        var trainer = new RecommenderTrainer(Worlds.RatingOptions);
        var window = world.All.With(world.Events[4000..]);
        var free = trainer.FineTune(parent, window, new FineTuneOptions { AnchorL2 = 0f, LearningRate = 0.05f });
        var anchored = trainer.FineTune(parent, window, new FineTuneOptions { AnchorL2 = 50f, LearningRate = 0.05f });
        Assert.Equal(parentBytes, ModelSerializer.ToBytes(parent));
        Assert.True(Distance(parent, anchored) < Distance(parent, free) / 2, "a strong anchor must keep the child closer to its parent");
    }

    [Fact]
    public void Fine_tune_refuses_an_unfitted_parent()
    {
        var model = new RecommenderModel(SyntheticWorld.Schema(), 8, LossKind.Squared);
        var world = Worlds.Ratings(events: 100);
        Assert.Throws<ModelNotFittedException>(() => new RecommenderTrainer(Worlds.RatingOptions with { Rank = 8 }).FineTune(model, world.All, new FineTuneOptions()));
    }

    [Fact]
    public void A_model_trained_on_the_synthetic_world_recovers_its_structure_and_beats_popularity()
    {
        var world = Worlds.Clicks();
        var (train, test) = DataSplits.StratifiedPerUser(world.Events, 0.25, 1);
        var model = new RecommenderTrainer(Worlds.RankingOptions).Fit(SyntheticWorld.Schema(), world.All.With(train));
        var scorer = new CatalogScorer(model, world.Users, world.Items, new BehaviourIndex(world.Users.Count, train, 30));
        var learned = Evaluations.Ranking(scorer, train, test, 10);

        var popularity = new RecommenderTrainer(Worlds.RankingOptions).Fit(
            new FeatureSchema([new FeatureGroup { Name = "item", Side = FeatureSide.Item, Kind = FeatureGroupKind.Id }]), world.All.With(train));
        var popular = Evaluations.Ranking(new CatalogScorer(popularity, world.Users, world.Items, null), train, test, 10);

        Assert.True(learned.Recall > 1.3 * popular.Recall, $"recall@10 {learned.Recall:F3} should clearly beat popularity {popular.Recall:F3}");
        Assert.True(learned.Ndcg > 1.3 * popular.Ndcg, $"NDCG@10 {learned.Ndcg:F3} should clearly beat popularity {popular.Ndcg:F3}");
    }

    [Fact]
    public void Rating_model_beats_the_global_mean_on_held_out_events()
    {
        var world = Worlds.Ratings(events: 10000);
        var (train, test) = DataSplits.StratifiedPerUser(world.Events, 0.2, 2);
        var model = new RecommenderTrainer(Worlds.RatingOptions).Fit(SyntheticWorld.Schema(), world.All.With(train));
        var report = Evaluations.Rating(new CatalogScorer(model, world.Users, world.Items, new BehaviourIndex(world.Users.Count, train, 30)), test);
        var mean = train.Average(t => t.Value);
        var baseline = Math.Sqrt(test.Average(t => Math.Pow(t.Value - mean, 2)));
        Assert.True(report.Rmse < 0.85 * baseline, $"RMSE {report.Rmse:F3} should beat the global mean's {baseline:F3} clearly");
    }

    private static double Distance(RecommenderModel a, RecommenderModel b)
    {
        var rows = Math.Min(a.ItemTable.Rows, b.ItemTable.Rows) * a.Rank;
        var sum = 0.0;
        for (var i = 0; i < rows; i++)
        {
            sum += Math.Pow(a.ItemTable.AllVectors[i] - b.ItemTable.AllVectors[i], 2);
        }

        return Math.Sqrt(sum);
    }
}
