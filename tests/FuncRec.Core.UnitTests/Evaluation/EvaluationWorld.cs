using FuncRec.Core.Data;
using FuncRec.Core.Evaluation;
using FuncRec.Core.Features;
using FuncRec.Core.Model;
using FuncRec.Core.Training;

namespace FuncRec.Core.UnitTests.Evaluation;

/// <summary>One small synthetic world and two models fitted on it, shared by the evaluation sanity tests.</summary>
public sealed class EvaluationWorld
{
    public EvaluationWorld()
    {
        World = SyntheticWorld.Generate(new SyntheticWorldOptions { Users = 200, Items = 120, Events = 6000, Seed = 3 });
        Schema = SyntheticWorld.Schema();

        (RatingTrain, RatingTest) = DataSplits.StratifiedPerUser(World.Events, 0.2, seed: 5);
        var ratingModel = new RecommenderTrainer(new TrainerOptions { Rank = 8, Epochs = 5, Seed = 1 })
            .Fit(Schema, new TrainingData(World.Users, World.Items, RatingTrain));
        RatingScorer = new CatalogScorer(ratingModel, World.Users, World.Items, new BehaviourIndex(World.Users.Count, RatingTrain, 30));

        var implicitEvents = World.Events.Select(e => e with { Value = 1f }).ToArray();
        (ImplicitTrain, ImplicitTest) = DataSplits.StratifiedPerUser(implicitEvents, 0.2, seed: 5);
        var rankingModel = new RecommenderTrainer(new TrainerOptions { Rank = 8, Epochs = 5, Loss = LossKind.Bpr, Seed = 1 })
            .Fit(Schema, new TrainingData(World.Users, World.Items, ImplicitTrain));
        RankingScorer = new CatalogScorer(rankingModel, World.Users, World.Items, new BehaviourIndex(World.Users.Count, ImplicitTrain, 30));
    }

    public SyntheticWorld World { get; }

    public FeatureSchema Schema { get; }

    public Interaction[] RatingTrain { get; }

    public Interaction[] RatingTest { get; }

    public CatalogScorer RatingScorer { get; }

    public Interaction[] ImplicitTrain { get; }

    public Interaction[] ImplicitTest { get; }

    public CatalogScorer RankingScorer { get; }
}
